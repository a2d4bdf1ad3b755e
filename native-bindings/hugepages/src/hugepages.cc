// N-API binding with one job: zeroed memory for a large table, 2 MiB aligned and advised to the
// kernel as transparent-huge-page backed (madvise MADV_HUGEPAGE), handed to JS as an external
// ArrayBuffer that unmaps itself when collected; or the same advice for a buffer V8 allocated.
//
// Why: the conntrack table is tens of MB read at random, one record per packet. On 4 KiB pages
// nearly every lookup also misses the TLB, and in a VM a TLB miss is a two-dimensional page walk.
// Where THP is `madvise` only (the common distribution default), memory that V8 allocates never
// gets huge pages, because nothing can madvise it from JS. No policy here: the TypeScript side
// (src/capture/huge-pages.ts, injected into src/conntrack/record-memory.ts) decides when to ask
// and falls back when this is missing.
#include <napi.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <cstdint>
#include <string>

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

struct Mapping {
  void* base;
  size_t length;
};

void Unmap(Napi::Env env, void* /*data*/, Mapping* m) {
  munmap(m->base, m->length);
  Napi::MemoryManagement::AdjustExternalMemory(env, -int64_t(m->length));
  delete m;
}

// allocate(bytes) -> { buffer: ArrayBuffer, advised: boolean }
Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "allocate(bytes): bytes must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double want = info[0].As<Napi::Number>().DoubleValue();
  if (!(want >= 1) || want > double(size_t{1} << 40)) {
    Napi::RangeError::New(env, "allocate(bytes): bytes must be in 1..2^40").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t bytes = (size_t(want) + kHugePage - 1) & ~(kHugePage - 1);
  // Map one huge page more than asked, then trim both ends so the area starts on a 2 MiB boundary.
  size_t span = bytes + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) {
    Napi::Error::New(env, std::string("allocate: mmap of ") + std::to_string(span) + " bytes failed: " + strerror(errno))
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uintptr_t start = (reinterpret_cast<uintptr_t>(raw) + kHugePage - 1) & ~(uintptr_t(kHugePage) - 1);
  size_t head = start - reinterpret_cast<uintptr_t>(raw);
  if (head > 0) munmap(raw, head);
  size_t tail = span - head - bytes;
  if (tail > 0) munmap(reinterpret_cast<void*>(start + bytes), tail);
  void* base = reinterpret_cast<void*>(start);
  bool advised = madvise(base, bytes, MADV_HUGEPAGE) == 0;

  auto* m = new Mapping{base, bytes};
  // Tell V8 what this buffer holds, as it knows for its own: tables created and dropped (tests,
  // reloads) then press the collector to run, and the finalizer to unmap, in time.
  Napi::MemoryManagement::AdjustExternalMemory(env, int64_t(bytes));
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, base, bytes, Unmap, m);
  Napi::Object out = Napi::Object::New(env);
  out.Set("buffer", ab);
  out.Set("advised", Napi::Boolean::New(env, advised));
  return out;
}

// advise(buffer) -> bytes advised: the 2 MiB-aligned part of an ArrayBuffer that V8 allocated (a
// WebAssembly memory's, whose records a wasm instance must read in its own memory) advised as
// above; 0 when it holds no whole huge page or the advice is refused. Before its pages are first
// touched, so that they fault in as huge pages.
Napi::Value Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) {
    Napi::TypeError::New(env, "advise(buffer): buffer must be an ArrayBuffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  uintptr_t data = reinterpret_cast<uintptr_t>(ab.Data());
  uintptr_t start = (data + kHugePage - 1) & ~(uintptr_t(kHugePage) - 1);
  uintptr_t end = (data + ab.ByteLength()) & ~(uintptr_t(kHugePage) - 1);
  if (end <= start || madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE) != 0) return Napi::Number::New(env, 0);
  return Napi::Number::New(env, double(end - start));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("allocate", Napi::Function::New(env, Allocate, "allocate"));
  exports.Set("advise", Napi::Function::New(env, Advise, "advise"));
  return exports;
}

}  // namespace

NODE_API_MODULE(hugepages, Init)
