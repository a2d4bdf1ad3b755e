// N-API binding with one job: the calling thread's CPU scheduling class. `setFifo(priority)` puts
// the calling thread (not the process: on Linux sched_setscheduler(0, …) is the caller's thread) in
// the real-time SCHED_FIFO class, with SCHED_RESET_ON_FORK so that nothing it starts inherits it;
// `current()` reads the calling thread's class back, with its thread id (what `ps -L` shows).
//
// Why: a packet worker woken by a frame must run at once, not after whatever else holds the cores
// (the control plane, an API client, other processes). Node has no call for it. No policy here:
// src/capture/realtime-thread.ts decides, and says what failed (EPERM: CAP_SYS_NICE is missing).
#include <napi.h>

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setFifo", Napi::Function::New(env, SetFifo, "setFifo"));
  exports.Set("current", Napi::Function::New(env, Current, "current"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sched, Init)
