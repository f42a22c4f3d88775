<?php
// PHP's manual ping-pong, N round trips: php pingpong.php [N] [stream|seqpacket]
// The parent writes "ping\n" and reads a line; the child reads a line and
// writes "pong\n". Exit 0 when every line was the one sent.
$n = (int)($argv[1] ?? 100000);
$type = ($argv[2] ?? 'stream') === 'seqpacket' ? STREAM_SOCK_SEQPACKET : STREAM_SOCK_STREAM;
$pair = stream_socket_pair(STREAM_PF_UNIX, $type, STREAM_IPPROTO_IP);
if ($pair === false || $n < 1) {
    fwrite(STDERR, "pingpong.php: no pair, or N < 1\n");
    exit(71);
}
$pid = pcntl_fork();
if ($pid < 0) {
    fwrite(STDERR, "pingpong.php: fork failed\n");
    exit(71);
}
if ($pid === 0) {
    fclose($pair[0]);
    for ($i = 0; $i < $n; $i++) {
        if (fgets($pair[1]) !== "ping\n") {
            exit(65);
        }
        fwrite($pair[1], "pong\n");
    }
    exit(0);
}
fclose($pair[1]);
$rc = 0;
for ($i = 0; $i < $n && $rc === 0; $i++) {
    fwrite($pair[0], "ping\n");
    if (fgets($pair[0]) !== "pong\n") {
        fwrite(STDERR, "pingpong.php: unexpected reply\n");
        $rc = 65;
    }
}
fclose($pair[0]);
pcntl_waitpid($pid, $status);
exit($rc ?: (pcntl_wifexited($status) ? pcntl_wexitstatus($status) : 71));
