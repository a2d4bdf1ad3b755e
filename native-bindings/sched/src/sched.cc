// N-API binding with one job: the CPU scheduling class of the process's packet threads. `setFifo(priority)` puts
// the calling thread (not the process: on Linux sched_setscheduler(0, …) is the caller's thread) in
// the real-time SCHED_FIFO class, with SCHED_RESET_ON_FORK so that nothing it starts inherits it;
// `current()` reads the calling thread's class back, with its thread id (what `ps -L` shows).
//
// `guard(tid, priority, windowMs, busyPercent, restMs)` puts such a thread under the real-time guard:
// one process-wide thread (SCHED_FIFO at priority + 1, so a busy worker cannot keep it off a core)
// reads each guarded thread's CPU time (/proc/self/task/TID/schedstat) every `windowMs`; a thread
// that ran `busyPercent` of a window or more goes back to the normal class (SCHED_OTHER) for
// `restMs`, then takes SCHED_FIFO again. So a real-time thread that stays runnable (a flood, a spin
// waiting for a normal-class thread it preempts) holds a core from the normal class for about one
// window, not the ~950 ms the kernel's fair server or real-time throttling allows. Giving the class
// back needs CAP_SYS_NICE in the guard thread (the process keeps it with --realtime-workers: see
// src/live/capabilities.ts); without it the thread stays in the normal class (`promoteFailures`).
// `guardStats(tid)` says how often a thread was sent back and for how long in all.
//
// Why: a packet worker woken by a frame must run at once, not after whatever else holds the cores
// (the control plane, an API client, other processes). Node has no call for it. No policy here:
// src/capture/realtime-thread.ts decides, and says what failed (EPERM: CAP_SYS_NICE is missing).
#include <napi.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

Napi::Value ThreadId(Napi::Env env) {
  return Napi::Number::New(env, double(syscall(SYS_gettid)));
}

// setFifo(priority) -> thread id; throws an Error with `code` (EPERM, EINVAL, …) when refused
Napi::Value SetFifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "setFifo(priority): priority must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int priority = info[0].As<Napi::Number>().Int32Value();
  struct sched_param param;
  memset(&param, 0, sizeof param);
  param.sched_priority = priority;
  if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) {
    int e = errno;
    Napi::Error error = Napi::Error::New(env, std::string("sched_setscheduler(SCHED_FIFO, ") + std::to_string(priority) + "): " + strerror(e));
    error.Set("code", Napi::String::New(env, e == EPERM ? "EPERM" : e == EINVAL ? "EINVAL" : "E" + std::to_string(e)));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return ThreadId(env);
}

// current() -> { policy: 'fifo' | 'rr' | 'other' | …, priority, tid } of the calling thread
Napi::Value Current(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int policy = sched_getscheduler(0);
  struct sched_param param;
  memset(&param, 0, sizeof param);
  sched_getparam(0, &param);
  policy &= ~SCHED_RESET_ON_FORK;
  const char* name = policy == SCHED_FIFO ? "fifo" : policy == SCHED_RR ? "rr" : policy == SCHED_OTHER ? "other" : policy == SCHED_BATCH ? "batch" : policy == SCHED_IDLE ? "idle" : "unknown";
  Napi::Object out = Napi::Object::New(env);
  out.Set("policy", Napi::String::New(env, name));
  out.Set("priority", Napi::Number::New(env, param.sched_priority));
  out.Set("tid", ThreadId(env));
  return out;
}


// ---- the real-time guard -------------------------------------------------------------------------

struct Guarded {
  pid_t tid;
  int priority;
  int fd;             // /proc/self/task/TID/schedstat, kept open
  uint64_t lastRunNs;
  uint64_t lastAtNs;
  bool demoted;
  uint64_t demotedAtNs;
  uint32_t demotions;
  uint32_t promoteFailures;
  uint64_t demotedNs;  // time spent sent back, in all (closed periods)
};

pthread_mutex_t guardLock = PTHREAD_MUTEX_INITIALIZER;
std::vector<Guarded>* guarded = nullptr;  // never freed: the guard thread lives as long as the process
bool guardStarted = false;
uint64_t windowNs = 10000000;
uint32_t busyPercent = 90;
uint64_t restNs = 20000000;
int guardPriority = 0;

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// the thread's time on a core so far (ns): schedstat's first field; -1 when it is gone
int64_t RunNs(int fd) {
  char buffer[96];
  ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return -1;
  buffer[n] = 0;
  char* end = nullptr;
  unsigned long long ns = strtoull(buffer, &end, 10);
  return end == buffer ? -1 : int64_t(ns);
}

int SetPolicy(pid_t tid, int policy, int priority) {
  struct sched_param param;
  memset(&param, 0, sizeof param);
  param.sched_priority = priority;
  return sched_setscheduler(tid, policy | SCHED_RESET_ON_FORK, &param);
}

void* GuardLoop(void*) {
  struct sched_param param;
  memset(&param, 0, sizeof param);
  param.sched_priority = guardPriority;
  // above the guarded threads; if refused, the guard still runs whenever they leave it a core
  sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param);
  for (;;) {
    struct timespec ts = {time_t(windowNs / 1000000000ull), long(windowNs % 1000000000ull)};
    nanosleep(&ts, nullptr);
    uint64_t now = NowNs();
    pthread_mutex_lock(&guardLock);
    for (size_t i = 0; i < guarded->size();) {
      Guarded& g = (*guarded)[i];
      int64_t run = RunNs(g.fd);
      if (run < 0) {  // the thread is gone
        close(g.fd);
        guarded->erase(guarded->begin() + long(i));
        continue;
      }
      uint64_t ran = uint64_t(run) - g.lastRunNs;
      uint64_t elapsed = now - g.lastAtNs;
      g.lastRunNs = uint64_t(run);
      g.lastAtNs = now;
      if (!g.demoted) {
        if (elapsed > 0 && ran * 100 >= elapsed * busyPercent && SetPolicy(g.tid, SCHED_OTHER, 0) == 0) {
          g.demoted = true;
          g.demotedAtNs = now;
          g.demotions++;
        }
      } else if (now - g.demotedAtNs >= restNs) {
        if (SetPolicy(g.tid, SCHED_FIFO, g.priority) == 0) {
          g.demoted = false;
          g.demotedNs += now - g.demotedAtNs;
        } else {
          g.promoteFailures++;
        }
      }
      i++;
    }
    pthread_mutex_unlock(&guardLock);
  }
  return nullptr;
}

Napi::Value ErrnoError(Napi::Env env, const std::string& what, int e) {
  Napi::Error error = Napi::Error::New(env, what + ": " + strerror(e));
  error.Set("code", Napi::String::New(env, e == EPERM ? "EPERM" : e == EINVAL ? "EINVAL" : e == ESRCH ? "ESRCH" : "E" + std::to_string(e)));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

// guard(tid, priority, windowMs, busyPercent, restMs): the thread (one of this process's) under the
// guard; the first call's window, share and rest are the guard's for good
Napi::Value Guard(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (size_t i = 0; i < 5; i++) {
    if (info.Length() <= i || !info[i].IsNumber()) {
      Napi::TypeError::New(env, "guard(tid, priority, windowMs, busyPercent, restMs): numbers expected").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  pid_t tid = pid_t(info[0].As<Napi::Number>().Int32Value());
  int priority = info[1].As<Napi::Number>().Int32Value();
  double window = info[2].As<Napi::Number>().DoubleValue();
  double busy = info[3].As<Napi::Number>().DoubleValue();
  double rest = info[4].As<Napi::Number>().DoubleValue();
  if (!(window >= 1 && window <= 1000) || !(busy > 0 && busy <= 100) || !(rest >= 0 && rest <= 10000) || priority < 1 || priority >= 99) {
    Napi::RangeError::New(env, "guard: window 1-1000 ms, share 1-100 %, rest 0-10000 ms, priority 1-98").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/schedstat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(env, "guard: cannot read " + path, errno);
  int64_t run = RunNs(fd);
  if (run < 0) {
    close(fd);
    return ErrnoError(env, "guard: cannot read " + path, EINVAL);
  }
  pthread_mutex_lock(&guardLock);
  if (!guardStarted) {
    // The guard thread outlives the worker that starts it, and Node unloads an addon with the
    // environment (a worker's) that loaded it: pin this library so its code stays mapped.
    Dl_info self;
    if (dladdr(reinterpret_cast<void*>(&GuardLoop), &self) == 0 || self.dli_fname == nullptr ||
        dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) == nullptr) {
      pthread_mutex_unlock(&guardLock);
      close(fd);
      return ErrnoError(env, "guard: cannot keep the sched addon loaded for the guard thread", EINVAL);
    }
    guarded = new std::vector<Guarded>();
    windowNs = uint64_t(window * 1e6);
    busyPercent = uint32_t(busy);
    restNs = uint64_t(rest * 1e6);
    guardPriority = priority + 1;
    pthread_t thread;
    int e = pthread_create(&thread, nullptr, GuardLoop, nullptr);
    if (e != 0) {
      pthread_mutex_unlock(&guardLock);
      close(fd);
      return ErrnoError(env, "guard: cannot start the guard thread", e);
    }
    pthread_detach(thread);
    guardStarted = true;
  }
  guarded->push_back(Guarded{tid, priority, fd, uint64_t(run), NowNs(), false, 0, 0, 0, 0});
  pthread_mutex_unlock(&guardLock);
  return env.Undefined();
}

// guardStats(tid) -> { demotions, demotedMs, demoted, promoteFailures } or null when not guarded
Napi::Value GuardStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "guardStats(tid): tid must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  pid_t tid = pid_t(info[0].As<Napi::Number>().Int32Value());
  Napi::Value out = env.Null();
  pthread_mutex_lock(&guardLock);
  if (guarded != nullptr) {
    for (const Guarded& g : *guarded) {
      if (g.tid != tid) continue;
      Napi::Object o = Napi::Object::New(env);
      uint64_t open = g.demoted ? NowNs() - g.demotedAtNs : 0;
      o.Set("demotions", Napi::Number::New(env, double(g.demotions)));
      o.Set("demotedMs", Napi::Number::New(env, double(g.demotedNs + open) / 1e6));
      o.Set("demoted", Napi::Boolean::New(env, g.demoted));
      o.Set("promoteFailures", Napi::Number::New(env, double(g.promoteFailures)));
      out = o;
      break;
    }
  }
  pthread_mutex_unlock(&guardLock);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("guard", Napi::Function::New(env, Guard, "guard"));
  exports.Set("guardStats", Napi::Function::New(env, GuardStats, "guardStats"));
  exports.Set("setFifo", Napi::Function::New(env, SetFifo, "setFifo"));
  exports.Set("current", Napi::Function::New(env, Current, "current"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sched, Init)
