#include "calls.h"

#include <string.h>

static int count_hook(void *ctx, sp_call call, size_t *len) {
  sp_test_calls *c = ctx;

  c->calls[call]++;
  if (call == SP_CALL_RECV)
    c->recv_len = *len;
  return 0;
}

void sp_test_calls_start(sp_test_calls *c) {
  memset(c, 0, sizeof(*c));
  sp_fault_set_hook(count_hook, c);
}

void sp_test_calls_stop(void) {
  sp_fault_set_hook(NULL, NULL);
}
