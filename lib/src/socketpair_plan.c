/*
 * Which cells can be paired and how, decided without any syscall.
 *
 * The predicted errors for refused inet cells follow the kernel's
 * inet_create()/inet6_create() for an unprivileged process with default
 * sysctls; sp_socketpair() asks the kernel itself.
 */
#include "internal.h"

#include <string.h>

#define SP__TYPE_MASK 0xf /* the kernel's SOCK_TYPE_MASK */
#define SP__SOCK_PACKET 10
#define SP__SOCK_MAX 11 /* SOCK_PACKET + 1 */
#define SP__IPPROTO_MAX 263
#define SP__IPPROTO_ICMPV6 58

static int refuse(sp_plan *plan, int err, const char *why) {
  plan->method = SP_METHOD_REFUSED;
  plan->err = err;
  plan->why = why;
  return 0;
}

static int accept_as(sp_plan *plan, sp_method method, const char *why) {
  plan->method = method;
  plan->err = 0;
  plan->why = why;
  return 0;
}

static int is_ping_protocol(int domain, int protocol) {
  if (domain == SP_PF_INET6)
    return protocol == SP__IPPROTO_ICMPV6;
  return protocol == SP_IPPROTO_ICMP;
}

static int plan_stream(sp_plan *plan, int protocol) {
  if (protocol == SP_IPPROTO_IP || protocol == SP_IPPROTO_TCP)
    return accept_as(plan, SP_METHOD_EMULATED_TCP,
                     "emulated: a TCP connection over loopback");
  return refuse(plan, SP_EPROTONOSUPPORT,
                "a stream socket in this domain speaks TCP only");
}

static int plan_dgram(sp_plan *plan, int domain, int protocol) {
  if (protocol == SP_IPPROTO_IP || protocol == SP_IPPROTO_UDP)
    return accept_as(plan, SP_METHOD_EMULATED_UDP,
                     "emulated: two connected UDP sockets over loopback");
  if (is_ping_protocol(domain, protocol))
    return refuse(plan, SP_EACCES,
                  "an ICMP datagram (ping) socket talks to the echo service, "
                  "not to a peer; creating one also needs "
                  "net.ipv4.ping_group_range");
  return refuse(plan, SP_EPROTONOSUPPORT,
                "a datagram socket in this domain speaks UDP (or ICMP echo) "
                "only");
}

static int plan_raw(sp_plan *plan, int protocol) {
  if (protocol == SP_IPPROTO_IP)
    return refuse(plan, SP_EPROTONOSUPPORT,
                  "a raw socket needs an IP protocol number, not 0");
  return refuse(plan, SP_EPERM,
                "a raw socket sends IP packets to addresses, it has no peer "
                "to pair with; creating one also needs CAP_NET_RAW");
}

static int plan_inet(sp_plan *plan, int domain, int base, int protocol) {
  /* The kernel turns AF_INET SOCK_PACKET into PF_PACKET before it looks
   * at the protocol: the capability check comes first there. */
  if (base == SP__SOCK_PACKET && domain == SP_PF_INET)
    return refuse(plan, SP_EPERM,
                  "SOCK_PACKET is an obsolete packet socket: it needs "
                  "CAP_NET_RAW and has no peer to pair with");
  if (protocol < 0 || protocol >= SP__IPPROTO_MAX)
    return refuse(plan, SP_EINVAL, "the protocol number is out of range");
  switch (base) {
  case SP_SOCK_STREAM:
    return plan_stream(plan, protocol);
  case SP_SOCK_DGRAM:
    return plan_dgram(plan, domain, protocol);
  case SP_SOCK_RAW:
    return plan_raw(plan, protocol);
  case SP_SOCK_RDM:
    return refuse(plan, SP_ESOCKTNOSUPPORT,
                  "IP has no reliably-delivered-message socket type");
  case SP_SOCK_SEQPACKET:
    return refuse(plan, SP_ESOCKTNOSUPPORT,
                  "IP has no sequenced-packet socket type (SCTP is not "
                  "emulated)");
  }
  if (base >= SP__SOCK_MAX)
    return refuse(plan, SP_EINVAL, "the socket type is out of range");
  return refuse(plan, SP_ESOCKTNOSUPPORT, "IP has no socket of this type");
}

int sp_socketpair_plan(int domain, int type, int protocol, sp_plan *plan) {
  sp_plan scratch;

  if (!plan)
    plan = &scratch;
  memset(plan, 0, sizeof(*plan));
  plan->base_type = type & SP__TYPE_MASK;
  plan->flags = type & ~SP__TYPE_MASK;
  if (plan->flags & ~(SP_SOCK_NONBLOCK | SP_SOCK_CLOEXEC)) {
    refuse(plan, SP_EINVAL,
           "the type carries flag bits other than SOCK_NONBLOCK and "
           "SOCK_CLOEXEC");
    return SP_EINVAL;
  }
  if (domain == SP_PF_UNIX)
    return accept_as(plan, SP_METHOD_KERNEL,
                     "native: the kernel's socketpair()");
  if (domain != SP_PF_INET && domain != SP_PF_INET6) {
    refuse(plan, SP_EAFNOSUPPORT,
           "sockpair pairs AF_UNIX, AF_INET and AF_INET6 sockets only");
    return SP_EAFNOSUPPORT;
  }
  return plan_inet(plan, domain, plan->base_type, protocol);
}

const char *sp_domain_name(int domain) {
  switch (domain) {
  case SP_PF_UNIX:
    return "AF_UNIX";
  case SP_PF_INET:
    return "AF_INET";
  case SP_PF_INET6:
    return "AF_INET6";
  }
  return NULL;
}

const char *sp_type_name(int base_type) {
  switch (base_type) {
  case SP_SOCK_STREAM:
    return "SOCK_STREAM";
  case SP_SOCK_DGRAM:
    return "SOCK_DGRAM";
  case SP_SOCK_RAW:
    return "SOCK_RAW";
  case SP_SOCK_RDM:
    return "SOCK_RDM";
  case SP_SOCK_SEQPACKET:
    return "SOCK_SEQPACKET";
  }
  return NULL;
}

const char *sp_protocol_name(int protocol) {
  switch (protocol) {
  case SP_IPPROTO_IP:
    return "IPPROTO_IP";
  case SP_IPPROTO_ICMP:
    return "IPPROTO_ICMP";
  case SP_IPPROTO_TCP:
    return "IPPROTO_TCP";
  case SP_IPPROTO_UDP:
    return "IPPROTO_UDP";
  case SP_IPPROTO_RAW:
    return "IPPROTO_RAW";
  }
  return NULL;
}
