/* Error names and sentences: one table, so the two lookups cannot drift. */
#include "internal.h"

#include <string.h>

const char *sp_strerror(int err) {
  switch (err) {
#define SP__STRERROR_CASE(name, msg)                                           \
  case SP_##name:                                                              \
    return msg;
    SP_ERRNO_MAP(SP__STRERROR_CASE)
#undef SP__STRERROR_CASE
  case SP_EOF:
    return "end of stream: the peer has closed or shut down its end";
  case SP_ELINEMAX:
    return "the line is longer than the stream's line cap";
  case 0:
    return "success";
  }
  if (err < 0 && err > -4096) {
    const char *desc = strerrordesc_np(-err);
    if (desc)
      return desc;
  }
  return "unknown error";
}

const char *sp_err_name(int err) {
  switch (err) {
#define SP__ERR_NAME_CASE(name, msg)                                           \
  case SP_##name:                                                              \
    return #name;
    SP_ERRNO_MAP(SP__ERR_NAME_CASE)
#undef SP__ERR_NAME_CASE
  case SP_EOF:
    return "EOF";
  case SP_ELINEMAX:
    return "ELINEMAX";
  case 0:
    return "OK";
  }
  if (err < 0 && err > -4096) {
    const char *name = strerrorname_np(-err);
    if (name)
      return name;
  }
  return "UNKNOWN";
}

const char *sp_version(void) {
  return SP_VERSION_STRING;
}
