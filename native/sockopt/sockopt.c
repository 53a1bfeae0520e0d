/*
 * The one socket option Node cannot set: IP_TOS / IPV6_TCLASS (DSCP marking of SIP signalling, RFC 2474).
 * setTos(fd, tos) -> 0 or an errno; getTos(fd) -> the TOS byte, or -errno.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <node_api.h>

static int socket_family(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
  return ss.ss_family;
}

static napi_value int_result(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static int read_int_args(napi_env env, napi_callback_info info, int *vals, size_t want) {
  napi_value argv[2];
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return -1;
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_int32(env, argv[i], &vals[i]) != napi_ok) return -1;
  }
  return 0;
}

static napi_value set_tos(napi_env env, napi_callback_info info) {
  int v[2];
  if (read_int_args(env, info, v, 2) != 0) return int_result(env, EINVAL);
  int fd = v[0], tos = v[1];
  int family = socket_family(fd);
  if (family < 0) return int_result(env, errno);
  int rc = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos))
                              : setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
  /* A dual-stack IPv6 socket carrying IPv4 traffic uses IP_TOS too; failure there is not an error. */
  if (rc == 0 && family == AF_INET6) (void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
  return int_result(env, rc == 0 ? 0 : errno);
}

static napi_value get_tos(napi_env env, napi_callback_info info) {
  int v[1];
  if (read_int_args(env, info, v, 1) != 0) return int_result(env, -EINVAL);
  int fd = v[0], tos = 0;
  socklen_t len = sizeof(tos);
  int family = socket_family(fd);
  if (family < 0) return int_result(env, -errno);
  int rc = family == AF_INET6 ? getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, &len)
                              : getsockopt(fd, IPPROTO_IP, IP_TOS, &tos, &len);
  return int_result(env, rc == 0 ? tos : -errno);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "setTos", NAPI_AUTO_LENGTH, set_tos, NULL, &fn);
  napi_set_named_property(env, exports, "setTos", fn);
  napi_create_function(env, "getTos", NAPI_AUTO_LENGTH, get_tos, NULL, &fn);
  napi_set_named_property(env, exports, "getTos", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
