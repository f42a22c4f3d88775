/* The per-thread hook behind the fault-injection seam (test builds only). */
#include "fault.h"

static _Thread_local sp_fault_hook fault_hook;
static _Thread_local void *fault_ctx;

void sp_fault_set_hook(sp_fault_hook hook, void *ctx) {
  fault_hook = hook;
  fault_ctx = ctx;
}

const char *sp_fault_call_name(sp_call call) {
  switch (call) {
#define SP__CALL_NAME(upper, lower)                                            \
  case SP_CALL_##upper:                                                        \
    return #lower;
    SP_CALL_MAP(SP__CALL_NAME)
#undef SP__CALL_NAME
  case SP_CALL__COUNT:
    break;
  }
  return "unknown";
}

int sp__fault_hit(sp_call call, size_t *len) {
  sp_fault_hook hook = fault_hook;
  size_t asked;
  int err;

  if (!hook)
    return 0;
  asked = len ? *len : 0;
  err = hook(fault_ctx, call, len);
  if (len && (*len == 0 || *len > asked))
    *len = asked; /* a hook may shorten a transfer, never lengthen it */
  return err;
}
