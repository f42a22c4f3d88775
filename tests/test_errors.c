/* sp_strerror / sp_err_name: one table, every code named, nothing NULL. */
#include "test.h"

#include <errno.h>

TEST(every_mapped_code_has_name_and_sentence) {
#define CHECK_CODE(name, msg)                                                  \
  ASSERT_STR_EQ(sp_err_name(SP_##name), #name);                                \
  ASSERT_STR_EQ(sp_strerror(SP_##name), msg);                                  \
  ASSERT_EQ(SP_##name, -name);
  SP_ERRNO_MAP(CHECK_CODE)
#undef CHECK_CODE
}

TEST(library_codes) {
  ASSERT_STR_EQ(sp_err_name(SP_EOF), "EOF");
  ASSERT_STR_EQ(sp_err_name(SP_ELINEMAX), "ELINEMAX");
  ASSERT(strlen(sp_strerror(SP_EOF)) > 10);
  ASSERT(strlen(sp_strerror(SP_ELINEMAX)) > 10);
  ASSERT_STR_EQ(sp_err_name(0), "OK");
}

TEST(unmapped_and_unknown_codes) {
  /* An errno outside the map still gets the C library's name. */
  ASSERT_STR_EQ(sp_err_name(-ENOENT), "ENOENT");
  ASSERT(strlen(sp_strerror(-ENOENT)) > 0);
  /* Nonsense gets a static string, never NULL, never a leak. */
  static const int bogus[] = {1, 12345, -4000, -4093, -100000, -2147483647};
  for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
    ASSERT(sp_err_name(bogus[i]) != NULL);
    ASSERT(sp_strerror(bogus[i]) != NULL);
  }
  ASSERT_STR_EQ(sp_err_name(-100000), "UNKNOWN");
  ASSERT_STR_EQ(sp_strerror(-100000), "unknown error");
}

TEST(names_of_constants) {
  ASSERT_STR_EQ(sp_domain_name(SP_PF_INET6), "AF_INET6");
  ASSERT_STR_EQ(sp_type_name(SP_SOCK_SEQPACKET), "SOCK_SEQPACKET");
  ASSERT_STR_EQ(sp_protocol_name(SP_IPPROTO_RAW), "IPPROTO_RAW");
  ASSERT(sp_domain_name(3) == NULL);
  ASSERT(sp_type_name(0) == NULL);
  ASSERT(sp_protocol_name(2) == NULL);
  ASSERT_STR_EQ(sp_version(), SP_VERSION_STRING);
}
