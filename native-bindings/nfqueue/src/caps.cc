// dropCapabilities(keepMask): the mechanism behind src/live/capabilities.ts; policy (which caps,
// when, whether root) lives in TypeScript. Plain syscalls, no libcap.
//
// Capabilities and the bounding set belong to each thread, not to the process, and Node already runs
// several threads (V8 platform workers, libuv's pool). So the calling thread drops, then every other
// thread that does not block the signal is asked to drop the same way from a signal handler (prctl
// and capset are async-signal-safe syscalls), as glibc does for setuid and libcap's psx for capset.
// Threads created later inherit the caller's reduced sets.
#include <napi.h>

#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>

namespace {

uint64_t g_keep = 0;
int g_lastCap = 0;
std::atomic<int> g_acked{0};
std::atomic<int> g_failed{0};

// Bounding set first (dropping needs CAP_SETPCAP, which capset is about to remove), then the
// effective, permitted and inheritable sets.
int DropThisThread() {
  for (int cap = 0; cap <= g_lastCap; cap++) {
    if ((g_keep >> cap) & 1) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    uint32_t word = static_cast<uint32_t>(g_keep >> (32 * i));
    data[i].effective = data[i].permitted = data[i].inheritable = word;
  }
  if (syscall(SYS_capset, &hdr, data) != 0) return errno;
  return 0;
}

void OnDropSignal(int) {
  int saved = errno;
  if (DropThisThread() != 0) g_failed.fetch_add(1);
  g_acked.fetch_add(1);
  errno = saved;
}

int ReadLastCap() {
  FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int last = CAP_LAST_CAP;
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = CAP_LAST_CAP;
    fclose(f);
  }
  return last;
}

uint64_t Permitted() {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) != 0) return 0;
  return static_cast<uint64_t>(data[0].permitted) | (static_cast<uint64_t>(data[1].permitted) << 32);
}

// A thread whose mask blocks the signal (Node's SIGUSR1 watchdog blocks nearly all) would hold it
// pending forever: it is not asked, and reported.
bool Blocks(pid_t tid, int sig) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
  FILE* f = fopen(path, "r");
  if (!f) return true;
  char line[256];
  unsigned long long blocked = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "SigBlk:", 7) == 0) {
      blocked = strtoull(line + 7, nullptr, 16);
      break;
    }
  }
  fclose(f);
  return (blocked >> (sig - 1)) & 1;
}

Napi::Value DropCapabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBigInt()) {
    Napi::TypeError::New(env, "dropCapabilities expects the kept capabilities as a bigint mask").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool lossless = false;
  uint64_t keep = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  // capset cannot add what the process does not hold.
  g_keep = keep & Permitted();
  g_lastCap = ReadLastCap();
  const int sig = SIGRTMIN + 7;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnDropSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  // Left installed: a late delivery must not meet the default action (terminate).
  if (sigaction(sig, &sa, nullptr) != 0) {
    Napi::Error::New(env, std::string("sigaction: ") + strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int err = DropThisThread();
  if (err != 0) {
    Napi::Error::New(env, std::string("dropping capabilities: ") + strerror(err)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  const pid_t pid = getpid();
  g_acked.store(0);
  g_failed.store(0);
  int asked = 0, threads = 1;
  Napi::Array skipped = Napi::Array::New(env);
  if (DIR* d = opendir("/proc/self/task")) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      pid_t tid = static_cast<pid_t>(atoi(e->d_name));
      if (tid == self) continue;
      threads++;
      if (Blocks(tid, sig) || syscall(SYS_tgkill, pid, tid, sig) != 0) {
        skipped.Set(skipped.Length(), Napi::Number::New(env, tid));
        continue;
      }
      asked++;
    }
    closedir(d);
  }
  struct timespec pause = {0, 1000000};
  for (int waited = 0; g_acked.load() < asked && waited < 2000; waited++) nanosleep(&pause, nullptr);
  Napi::Object out = Napi::Object::New(env);
  out.Set("kept", Napi::BigInt::New(env, g_keep));
  out.Set("lastCap", Napi::Number::New(env, g_lastCap));
  out.Set("threads", Napi::Number::New(env, threads));
  out.Set("asked", Napi::Number::New(env, asked));
  out.Set("acknowledged", Napi::Number::New(env, g_acked.load()));
  out.Set("failed", Napi::Number::New(env, g_failed.load()));
  out.Set("skipped", skipped);
  return out;
}

}  // namespace

void InitCapabilities(Napi::Env env, Napi::Object exports) {
  exports.Set("dropCapabilities", Napi::Function::New(env, DropCapabilities));
}
