// N-API binding with one job: send one datagram to the AF_UNIX socket systemd names in
// NOTIFY_SOCKET (the sd_notify protocol: READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1, STATUS=…).
//
// Why native: Node has no AF_UNIX datagram sockets, and `systemd-notify` in a child process is not
// the service's main pid, which is the only sender `NotifyAccess=main` accepts. No policy here: what
// to send and when is src/observe/service-notifier.ts, loaded through src/capture/sd-notify.ts.
#include <napi.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <string>

namespace {

Napi::Value Fail(Napi::Env env, const std::string& what, int err) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// notify(socketPath, message): a filesystem path, or an abstract name written with a leading '@'
// (as systemd writes it). Throws an Error carrying `errno` when the socket cannot take it.
Napi::Value Notify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "notify(socketPath, message): both must be strings").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string message = info[1].As<Napi::String>().Utf8Value();
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || (path[0] != '/' && path[0] != '@')) {
    Napi::Error::New(env, "NOTIFY_SOCKET '" + path + "': neither an absolute path nor an abstract name (@…)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (path.size() > sizeof addr.sun_path - (path[0] == '@' ? 0 : 1)) return Fail(env, "NOTIFY_SOCKET '" + path + "'", ENAMETOOLONG);
  memcpy(addr.sun_path, path.data(), path.size());
  // An abstract name has no terminating NUL and counts exactly its bytes.
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = socklen_t(offsetof(struct sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(env, "socket(AF_UNIX, SOCK_DGRAM)", errno);
  ssize_t sent;
  do {
    sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&addr), len);
  } while (sent < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (sent < 0) return Fail(env, "sendto NOTIFY_SOCKET '" + path + "'", err);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("notify", Napi::Function::New(env, Notify, "notify"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sdnotify, Init)
