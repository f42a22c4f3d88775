<?php
// Bulk read over a UNIX stream pair: php bulk.php [N] [B]
// The child writes N blocks of B bytes (fwrite); the parent reads them with
// fread($s, B), as a PHP program would (PHP's reads come in chunks of 8 KiB).
$n = (int)($argv[1] ?? 5000);
$size = (int)($argv[2] ?? 65536);
$pair = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
if ($pair === false || $n < 1 || $size < 1) {
    fwrite(STDERR, "bulk.php: no pair, or N or B < 1\n");
    exit(71);
}
$pid = pcntl_fork();
if ($pid < 0) {
    fwrite(STDERR, "bulk.php: fork failed\n");
    exit(71);
}
if ($pid === 0) {
    fclose($pair[0]);
    $block = str_repeat("x", $size);
    for ($i = 0; $i < $n; $i++) {
        if (fwrite($pair[1], $block) !== $size) {
            exit(71);
        }
    }
    exit(0);
}
fclose($pair[1]);
$left = $n * $size;
while ($left > 0) {
    $data = fread($pair[0], $size);
    if ($data === false || $data === '') {
        fwrite(STDERR, "bulk.php: read failed with $left bytes to go\n");
        exit(71);
    }
    $left -= strlen($data);
}
fclose($pair[0]);
pcntl_waitpid($pid, $status);
exit(pcntl_wifexited($status) ? pcntl_wexitstatus($status) : 71);
