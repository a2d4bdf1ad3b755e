// N-API binding of a prototype AF_XDP bridge port set (issue 18 item 6): one UMEM shared by XDP
// sockets bound to several interfaces (one queue each), a tiny XDP program per interface that
// redirects every frame to its socket (bpf_redirect_map into an XSKMAP by rx_queue_index, XDP_PASS
// when no socket is bound there), loaded with the bpf() syscall from hand-written instructions (no
// libbpf/libxdp), attached through a bpf_link so it goes away with the process.
// Prototype only: the CLI never loads it; bench/xdp-bridge.mjs and its test do.
//
// Frames: the UMEM is one external ArrayBuffer JS views once; a batch's meta gives each frame's
// offset in it in the AF_PACKET layout (offset, length, wire length, flags), so InlineBridge.onBatch
// judges it unchanged. sendBatch(side, [offset, length] pairs) moves received frames into the TX
// ring of `side` without a copy (the UMEM is shared); frames of a batch not sent go back to the fill
// ring they came from when the callback returns. One TX wakeup (sendto) per batch, repeated only
// while the kernel says it stopped early (copy mode sends a bounded budget per call).
#include <napi.h>
#include <uv.h>

#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9  // 6.17+: frames one sendto sends in copy mode (default 32)
#endif

namespace {

constexpr uint32_t kMetaStride = 4;
constexpr uint32_t kSendStride = 2;
constexpr int kMaxSockets = 4;
// Rounds of RX per readable event before yielding to the event loop (epoll is level triggered).
constexpr int kRoundsPerWakeup = 16;

enum FrameState : uint8_t { kFree = 0, kFill = 1, kInJs = 2, kInTx = 3 };

std::string ErrnoText(const std::string& what, int err) { return what + ": " + strerror(err); }
const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EIO";
}

long Bpf(int cmd, union bpf_attr* attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

// A producer/consumer ring mapped from the socket (AF_XDP's four rings share this layout).
struct Ring {
  uint32_t* producer = nullptr;
  uint32_t* consumer = nullptr;
  uint32_t* flags = nullptr;
  void* descs = nullptr;
  uint32_t size = 0;
  void* map = nullptr;
  size_t mapLength = 0;
  void Unmap() {
    if (map != nullptr) munmap(map, mapLength);
    map = nullptr;
  }
  uint32_t Prod() const { return __atomic_load_n(producer, __ATOMIC_ACQUIRE); }
  uint32_t Cons() const { return __atomic_load_n(consumer, __ATOMIC_ACQUIRE); }
  uint64_t* Addrs() const { return static_cast<uint64_t*>(descs); }
  struct xdp_desc* Descs() const { return static_cast<struct xdp_desc*>(descs); }
  bool NeedsWakeup() const { return (__atomic_load_n(flags, __ATOMIC_ACQUIRE) & XDP_RING_NEED_WAKEUP) != 0; }
};

struct Umem {
  uint8_t* base = nullptr;
  size_t length = 0;
  void Unmap() {
    if (base != nullptr) munmap(base, length);
    base = nullptr;
  }
};
void FinalizeUmem(Napi::Env, void*, Umem* u) {
  u->Unmap();
  delete u;
}

// One interface, one queue: its XDP program, map, link, socket and rings.
struct Port {
  std::string device;
  int ifindex = 0;
  uint32_t queue = 0;
  int fd = -1;
  int mapFd = -1, progFd = -1, linkFd = -1;
  bool native = false;    // XDP in the driver (veth: yes) rather than generic (skb) mode
  bool zeroCopy = false;  // the socket bound XDP_ZEROCOPY
  Ring rx, tx, fill, comp;
  uv_poll_t* poll = nullptr;
  uint64_t rxFrames = 0, rxBatches = 0, txQueued = 0, txCompleted = 0, txRefused = 0, kicks = 0, kickAgain = 0, fillWakeups = 0;
  uint64_t budget = 0;  // XDP_MAX_TX_SKB_BUDGET in force (0: the kernel's default)
};

bool MapRing(int fd, const struct xdp_ring_offset& off, uint32_t size, size_t descSize, off_t pgoff, Ring* r) {
  r->mapLength = off.desc + static_cast<size_t>(size) * descSize;
  void* p = mmap(nullptr, r->mapLength, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
  if (p == MAP_FAILED) return false;
  uint8_t* b = static_cast<uint8_t*>(p);
  r->map = p;
  r->producer = reinterpret_cast<uint32_t*>(b + off.producer);
  r->consumer = reinterpret_cast<uint32_t*>(b + off.consumer);
  r->flags = reinterpret_cast<uint32_t*>(b + off.flags);
  r->descs = b + off.desc;
  r->size = size;
  return true;
}

class Bridge : public Napi::ObjectWrap<Bridge> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Bridge",
                       {InstanceMethod<&Bridge::Open>("open"), InstanceMethod<&Bridge::Start>("start"),
                        InstanceMethod<&Bridge::Close>("close"), InstanceMethod<&Bridge::Data>("data"),
                        InstanceMethod<&Bridge::SendBatch>("sendBatch"), InstanceMethod<&Bridge::Stats>("stats")});
  }

  // new Bridge(frameCount, frameSize, ringSize, meta: ArrayBuffer (int32), onBatch(side, count))
  explicit Bridge(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Bridge>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsArrayBuffer() ||
        !info[4].IsFunction()) {
      Napi::TypeError::New(env, "Bridge(frameCount, frameSize, ringSize, meta, onBatch)").ThrowAsJavaScriptException();
      return;
    }
    frameCount_ = info[0].As<Napi::Number>().Uint32Value();
    frameSize_ = info[1].As<Napi::Number>().Uint32Value();
    ringSize_ = info[2].As<Napi::Number>().Uint32Value();
    Napi::ArrayBuffer meta = info[3].As<Napi::ArrayBuffer>();
    auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
    if (!pow2(frameSize_) || frameSize_ < 2048 || frameSize_ > 4096 || !pow2(ringSize_) || frameCount_ < 2 * ringSize_ ||
        meta.ByteLength() < kMetaStride * 4 * 64) {
      Napi::RangeError::New(env, "Bridge: frame size 2048 or 4096, ring size a power of two, frames ≥ 2 × ring, meta ≥ 64 frames")
          .ThrowAsJavaScriptException();
      return;
    }
    meta_ = static_cast<int32_t*>(meta.Data());
    metaFrames_ = static_cast<uint32_t>(meta.ByteLength() / (kMetaStride * 4));
    metaRef_ = Napi::Persistent(meta);
    onBatch_ = Napi::Persistent(info[4].As<Napi::Function>());
    frameShift_ = frameSize_ == 2048 ? 11 : 12;
    size_t length = static_cast<size_t>(frameCount_) * frameSize_;
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (base == MAP_FAILED) { Fail(env, "mmap(UMEM)", errno); return; }
    umem_ = new Umem{static_cast<uint8_t*>(base), length};
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, base, length, FinalizeUmem, umem_);
    umemRef_ = Napi::Persistent(buffer);
    state_.assign(frameCount_, kFree);
    for (uint32_t i = frameCount_; i-- > 0;) free_.push_back(static_cast<uint64_t>(i) << frameShift_);
    batchAddrs_.resize(metaFrames_);
  }

  ~Bridge() override {
    for (int i = 0; i < nPorts_; i++) StopPolling(&ports_[i]);
    CloseAll();
  }

 private:
  // open(device, queue, mode: 'auto'|'native'|'generic', copy: 'auto'|'copy'|'zerocopy') → side index.
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsString() || !info[3].IsString()) {
      Napi::TypeError::New(env, "open(device, queue, xdpMode, bindMode)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (umem_ == nullptr || closed_) { Napi::Error::New(env, "Bridge: closed").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (nPorts_ == kMaxSockets) { Napi::RangeError::New(env, "Bridge: at most 4 ports").ThrowAsJavaScriptException(); return env.Undefined(); }
    Port& p = ports_[nPorts_];
    p = Port();
    p.device = info[0].As<Napi::String>().Utf8Value();
    p.queue = info[1].As<Napi::Number>().Uint32Value();
    std::string xdpMode = info[2].As<Napi::String>().Utf8Value();
    std::string bindMode = info[3].As<Napi::String>().Utf8Value();
    p.ifindex = static_cast<int>(if_nametoindex(p.device.c_str()));
    if (p.ifindex == 0) return FailPort(env, &p, "if_nametoindex(" + p.device + ")", errno == ENXIO ? ENODEV : errno);

    p.fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (p.fd < 0) return FailPort(env, &p, "socket(AF_XDP)", errno);
    const bool first = nPorts_ == 0;
    if (first) {
      struct xdp_umem_reg reg;
      memset(&reg, 0, sizeof reg);
      reg.addr = reinterpret_cast<uint64_t>(umem_->base);
      reg.len = umem_->length;
      reg.chunk_size = frameSize_;
      reg.headroom = 0;
      if (setsockopt(p.fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof reg) != 0) return FailPort(env, &p, "XDP_UMEM_REG", errno);
    }
    // Every socket has its own fill and completion rings (one per device and queue), the UMEM is shared.
    uint32_t n = ringSize_;
    if (setsockopt(p.fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof n) != 0) return FailPort(env, &p, "XDP_UMEM_FILL_RING", errno);
    if (setsockopt(p.fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof n) != 0) return FailPort(env, &p, "XDP_UMEM_COMPLETION_RING", errno);
    if (setsockopt(p.fd, SOL_XDP, XDP_RX_RING, &n, sizeof n) != 0) return FailPort(env, &p, "XDP_RX_RING", errno);
    if (setsockopt(p.fd, SOL_XDP, XDP_TX_RING, &n, sizeof n) != 0) return FailPort(env, &p, "XDP_TX_RING", errno);
    struct xdp_mmap_offsets off;
    socklen_t offLen = sizeof off;
    if (getsockopt(p.fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &offLen) != 0) return FailPort(env, &p, "XDP_MMAP_OFFSETS", errno);
    if (!MapRing(p.fd, off.rx, n, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, &p.rx) ||
        !MapRing(p.fd, off.tx, n, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING, &p.tx) ||
        !MapRing(p.fd, off.fr, n, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING, &p.fill) ||
        !MapRing(p.fd, off.cr, n, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING, &p.comp))
      return FailPort(env, &p, "mmap(XDP rings)", errno);

    struct sockaddr_xdp sxdp;
    memset(&sxdp, 0, sizeof sxdp);
    sxdp.sxdp_family = AF_XDP;
    sxdp.sxdp_ifindex = static_cast<uint32_t>(p.ifindex);
    sxdp.sxdp_queue_id = p.queue;
    if (first) {
      // Zero copy where the driver has it (veth has not: the kernel refuses, and copy mode is used).
      int err = 0;
      if (bindMode != "copy") {
        sxdp.sxdp_flags = XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP;
        if (bind(p.fd, reinterpret_cast<struct sockaddr*>(&sxdp), sizeof sxdp) == 0) p.zeroCopy = true;
        else err = errno;
        if (!p.zeroCopy && bindMode == "zerocopy") return FailPort(env, &p, "bind(" + p.device + ", XDP_ZEROCOPY)", err);
      }
      if (!p.zeroCopy) {
        sxdp.sxdp_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
        if (bind(p.fd, reinterpret_cast<struct sockaddr*>(&sxdp), sizeof sxdp) != 0) return FailPort(env, &p, "bind(" + p.device + ", XDP_COPY)", errno);
      }
      zeroCopy_ = p.zeroCopy;
    } else {
      // The second device shares the first socket's UMEM: its flags (copy or zero copy) are inherited.
      sxdp.sxdp_flags = XDP_SHARED_UMEM;
      sxdp.sxdp_shared_umem_fd = static_cast<uint32_t>(ports_[0].fd);
      if (bind(p.fd, reinterpret_cast<struct sockaddr*>(&sxdp), sizeof sxdp) != 0) return FailPort(env, &p, "bind(" + p.device + ", XDP_SHARED_UMEM)", errno);
      p.zeroCopy = zeroCopy_;
    }
    if (!p.zeroCopy) {
      // Copy mode sends 32 frames per sendto by default; ask for a whole ring's worth (6.17+, else ignored).
      uint32_t budget = ringSize_;
      if (setsockopt(p.fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof budget) == 0) p.budget = budget;
    }

    // The XSKMAP and the program: key = rx_queue_index, value = the socket.
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_XSKMAP;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = p.queue + 1;
    p.mapFd = static_cast<int>(Bpf(BPF_MAP_CREATE, &attr));
    if (p.mapFd < 0) return FailPort(env, &p, "bpf(BPF_MAP_CREATE, XSKMAP)", errno);
    memset(&attr, 0, sizeof attr);
    uint32_t key = p.queue;
    uint32_t value = static_cast<uint32_t>(p.fd);
    attr.map_fd = static_cast<uint32_t>(p.mapFd);
    attr.key = reinterpret_cast<uint64_t>(&key);
    attr.value = reinterpret_cast<uint64_t>(&value);
    if (Bpf(BPF_MAP_UPDATE_ELEM, &attr) != 0) return FailPort(env, &p, "bpf(BPF_MAP_UPDATE_ELEM, XSKMAP)", errno);

    // r2 = ctx->rx_queue_index; r1 = map; r3 = XDP_PASS (the action when no socket is there);
    // return bpf_redirect_map(r1, r2, r3)
    struct bpf_insn prog[] = {
        {BPF_LDX | BPF_W | BPF_MEM, 2, 1, 16, 0},
        {BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, p.mapFd},
        {0, 0, 0, 0, 0},
        {BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS},
        {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    static const char license[] = "GPL";
    char log[4096] = {0};
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_XDP;
    attr.insns = reinterpret_cast<uint64_t>(prog);
    attr.insn_cnt = sizeof prog / sizeof prog[0];
    attr.license = reinterpret_cast<uint64_t>(license);
    attr.log_buf = reinterpret_cast<uint64_t>(log);
    attr.log_size = sizeof log;
    attr.log_level = 1;
    memcpy(attr.prog_name, "sgfw_xsk", 9);
    p.progFd = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
    if (p.progFd < 0) return FailPort(env, &p, std::string("bpf(BPF_PROG_LOAD) ") + log, errno);

    // A bpf_link: detached when the last fd closes, however the process ends.
    auto attach = [&](uint32_t flags) {
      union bpf_attr a;
      memset(&a, 0, sizeof a);
      a.link_create.prog_fd = static_cast<uint32_t>(p.progFd);
      a.link_create.target_ifindex = static_cast<uint32_t>(p.ifindex);
      a.link_create.attach_type = BPF_XDP;
      a.link_create.flags = flags;
      return static_cast<int>(Bpf(BPF_LINK_CREATE, &a));
    };
    int err = 0;
    if (xdpMode != "generic") {
      p.linkFd = attach(XDP_FLAGS_DRV_MODE);
      if (p.linkFd >= 0) p.native = true;
      else err = errno;
      if (p.linkFd < 0 && xdpMode == "native") return FailPort(env, &p, "attach XDP (native) to " + p.device, err);
    }
    if (p.linkFd < 0) {
      p.linkFd = attach(XDP_FLAGS_SKB_MODE);
      if (p.linkFd < 0) return FailPort(env, &p, "attach XDP (generic) to " + p.device, errno);
    }
    return Napi::Number::New(env, nPorts_++);
  }

  // Fills each port's fill ring with half the free frames and starts polling.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_ || nPorts_ == 0) { Napi::Error::New(env, "Bridge: nothing open").ThrowAsJavaScriptException(); return env.Undefined(); }
    if (started_) return env.Undefined();
    started_ = true;
    Refill();
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    for (int i = 0; i < nPorts_; i++) {
      Port& p = ports_[i];
      p.poll = new uv_poll_t;
      uv_poll_init(loop, p.poll, p.fd);
      p.poll->data = this;
      uv_poll_start(p.poll, UV_READABLE, &Bridge::OnReadable);
    }
    timer_ = new uv_timer_t;
    uv_timer_init(loop, timer_);
    timer_->data = this;
    Ref();
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Data(const Napi::CallbackInfo& info) {
    if (umemRef_.IsEmpty()) return info.Env().Null();
    return umemRef_.Value();
  }

  // sendBatch(side, frames: Int32Array of [offset, length] pairs, count) → frames queued. Only frames
  // of the batch being handled (or of a batch handled earlier and not yet recycled) can go.
  Napi::Value SendBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsTypedArray() || !info[2].IsNumber()) {
      Napi::TypeError::New(env, "sendBatch(side, frames, count)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      Napi::TypeError::New(env, "sendBatch: frames must be an Int32Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int side = info[0].As<Napi::Number>().Int32Value();
    Napi::Int32Array frames = info[1].As<Napi::Int32Array>();
    int64_t count = info[2].As<Napi::Number>().Int64Value();
    if (count > static_cast<int64_t>(frames.ElementLength() / kSendStride)) count = static_cast<int64_t>(frames.ElementLength() / kSendStride);
    if (side < 0 || side >= nPorts_ || closed_ || count <= 0) return Napi::Number::New(env, 0);
    Port& p = ports_[side];
    const int32_t* f = frames.Data();
    uint32_t prod = *p.tx.producer;
    uint32_t space = p.tx.size - (prod - p.tx.Cons());
    uint32_t queued = 0;
    for (int64_t i = 0; i < count; i++) {
      int64_t offset = f[i * kSendStride];
      int64_t length = f[i * kSendStride + 1];
      uint64_t frame = static_cast<uint64_t>(offset) >> frameShift_;
      if (offset < 0 || length <= 0 || frame >= frameCount_ || (static_cast<uint64_t>(offset) & (frameSize_ - 1)) + length > frameSize_ ||
          state_[frame] != kInJs || space == 0) {
        p.txRefused++;
        continue;
      }
      struct xdp_desc* d = &p.tx.Descs()[prod & (p.tx.size - 1)];
      d->addr = static_cast<uint64_t>(offset);
      d->len = static_cast<uint32_t>(length);
      d->options = 0;
      prod++;
      space--;
      state_[frame] = kInTx;
      queued++;
    }
    if (queued > 0) {
      __atomic_store_n(p.tx.producer, prod, __ATOMIC_RELEASE);
      p.txQueued += queued;
      txPending_ |= 1u << side;
    }
    return Napi::Number::New(env, queued);
  }

  // [{ device, queue, native, zeroCopy, budget, rxFrames, rxBatches, txQueued, txCompleted, txRefused, kicks, kickAgain,
  //    fillWakeups, rxDropped, rxInvalid, txInvalid, rxRingFull, fillEmpty, txRingEmpty }]
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env, nPorts_);
    for (int i = 0; i < nPorts_; i++) {
      Port& p = ports_[i];
      Napi::Object o = Napi::Object::New(env);
      auto num = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
      o.Set("device", p.device);
      num("queue", p.queue);
      o.Set("native", p.native);
      o.Set("zeroCopy", p.zeroCopy);
      num("budget", p.budget);
      num("rxFrames", p.rxFrames);
      num("rxBatches", p.rxBatches);
      num("txQueued", p.txQueued);
      num("txCompleted", p.txCompleted);
      num("txRefused", p.txRefused);
      num("kicks", p.kicks);
      num("kickAgain", p.kickAgain);
      num("fillWakeups", p.fillWakeups);
      struct xdp_statistics st;
      memset(&st, 0, sizeof st);
      socklen_t len = sizeof st;
      if (p.fd >= 0 && getsockopt(p.fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0) {
        num("rxDropped", st.rx_dropped);
        num("rxInvalid", st.rx_invalid_descs);
        num("txInvalid", st.tx_invalid_descs);
        num("rxRingFull", st.rx_ring_full);
        num("fillEmpty", st.rx_fill_ring_empty_descs);
        num("txRingEmpty", st.tx_ring_empty_descs);
      }
      a.Set(i, o);
    }
    return a;
  }

  Napi::Value FailPort(Napi::Env env, Port* p, const std::string& what, int err) {
    ClosePort(p);
    Napi::Error e = Napi::Error::New(env, ErrnoText(what, err));
    e.Set("code", Napi::String::New(env, ErrnoName(err)));
    e.Set("errno", Napi::Number::New(env, err));
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }

  void Fail(Napi::Env env, const std::string& what, int err) {
    Napi::Error e = Napi::Error::New(env, ErrnoText(what, err));
    e.Set("code", Napi::String::New(env, ErrnoName(err)));
    e.ThrowAsJavaScriptException();
  }

  static void ClosePort(Port* p) {
    for (Ring* r : {&p->rx, &p->tx, &p->fill, &p->comp}) r->Unmap();
    for (int* fd : {&p->linkFd, &p->progFd, &p->mapFd, &p->fd}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }

  void StopPolling(Port* p) {
    if (p->poll == nullptr) return;
    uv_poll_stop(p->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(p->poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    p->poll = nullptr;
  }

  void CloseAll() {
    for (int i = 0; i < nPorts_; i++) ClosePort(&ports_[i]);
  }

  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    for (int i = 0; i < nPorts_; i++) StopPolling(&ports_[i]);
    if (timer_ != nullptr) {
      uv_timer_stop(timer_);
      uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      timer_ = nullptr;
    }
    CloseAll();
    if (!umemRef_.IsEmpty()) {
      umemRef_.Value().Detach();
      umemRef_.Reset();
    }
    if (umem_ != nullptr) umem_->Unmap();
    umem_ = nullptr;
    if (started_) Unref();
    started_ = false;
  }

  // Completed sends back to the free list, then the fill rings topped up from it, port by port.
  void Reap() {
    for (int i = 0; i < nPorts_; i++) {
      Port& p = ports_[i];
      uint32_t cons = *p.comp.consumer;
      uint32_t prod = p.comp.Prod();
      if (prod == cons) continue;
      for (; cons != prod; cons++) {
        uint64_t addr = p.comp.Addrs()[cons & (p.comp.size - 1)];
        uint64_t frame = addr >> frameShift_;
        if (frame < frameCount_) {
          state_[frame] = kFree;
          free_.push_back(frame << frameShift_);
        }
        p.txCompleted++;
      }
      __atomic_store_n(p.comp.consumer, cons, __ATOMIC_RELEASE);
    }
  }

  void Refill() {
    Reap();
    for (int i = 0; i < nPorts_ && !free_.empty(); i++) {
      Port& p = ports_[i];
      uint32_t prod = *p.fill.producer;
      uint32_t space = p.fill.size - (prod - p.fill.Cons());
      // Each port gets its share of what is free, the last port the rest.
      uint32_t share = static_cast<uint32_t>(free_.size() / static_cast<size_t>(nPorts_ - i));
      if (share == 0) share = static_cast<uint32_t>(free_.size());
      uint32_t n = space < share ? space : share;
      for (uint32_t k = 0; k < n; k++) {
        uint64_t addr = free_.back();
        free_.pop_back();
        p.fill.Addrs()[(prod + k) & (p.fill.size - 1)] = addr;
        state_[addr >> frameShift_] = kFill;
      }
      if (n > 0) __atomic_store_n(p.fill.producer, prod + n, __ATOMIC_RELEASE);
    }
  }

  // One sendto per port with frames queued; again while the kernel stops early (EAGAIN/EBUSY: budget spent).
  void Kick() {
    for (int i = 0; i < nPorts_; i++) {
      if ((txPending_ & (1u << i)) == 0) continue;
      Port& p = ports_[i];
      if (p.zeroCopy && !p.tx.NeedsWakeup()) continue;
      // A few tries, then the 1 ms timer: a busy device must not make the loop spin.
      for (int tries = 0; tries < 8; tries++) {
        p.kicks++;
        ssize_t r = sendto(p.fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0);
        if (r >= 0) break;
        if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS) {
          if (p.tx.Cons() == *p.tx.producer) break;
          p.kickAgain++;
          Reap();
          continue;
        }
        break;  // ENETDOWN, ENXIO: the frames stay queued and are counted by the kernel
      }
    }
    txPending_ = 0;
  }

  static void OnReadable(uv_poll_t* handle, int status, int) {
    Bridge* b = static_cast<Bridge*>(handle->data);
    if (status < 0 || b->closed_) return;
    for (int i = 0; i < b->nPorts_; i++)
      if (b->ports_[i].poll == handle) b->Drain(i);
  }

  static void OnTimer(uv_timer_t* handle) {
    Bridge* b = static_cast<Bridge*>(handle->data);
    if (b->closed_) return;
    // Frames still in a TX ring (the kernel stopped early: the device was busy) get another wakeup.
    for (int i = 0; i < b->nPorts_; i++)
      if (b->ports_[i].tx.Cons() != *b->ports_[i].tx.producer) b->txPending_ |= 1u << i;
    b->Kick();
    b->Refill();
    b->ArmTimer();
  }

  // While frames are out in TX rings, reap their completions (and wake the TX of frames still
  // queued) every millisecond even without RX.
  void ArmTimer() {
    if (timer_ == nullptr) return;
    bool outstanding = false;
    for (int i = 0; i < nPorts_; i++) outstanding |= ports_[i].txQueued != ports_[i].txCompleted;
    if (outstanding) uv_timer_start(timer_, &Bridge::OnTimer, 1, 0);
  }

  void Drain(int side) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Port& p = ports_[side];
    for (int round = 0; round < kRoundsPerWakeup && !closed_; round++) {
      uint32_t cons = *p.rx.consumer;
      uint32_t avail = p.rx.Prod() - cons;
      if (avail == 0) break;
      uint32_t n = avail < metaFrames_ ? avail : metaFrames_;
      for (uint32_t i = 0; i < n; i++) {
        const struct xdp_desc& d = p.rx.Descs()[(cons + i) & (p.rx.size - 1)];
        uint64_t frame = d.addr >> frameShift_;
        batchAddrs_[i] = d.addr;
        if (frame < frameCount_) state_[frame] = kInJs;
        int32_t* m = meta_ + i * kMetaStride;
        m[0] = static_cast<int32_t>(d.addr);
        m[1] = static_cast<int32_t>(d.len);
        m[2] = static_cast<int32_t>(d.len);
        m[3] = 0;
      }
      __atomic_store_n(p.rx.consumer, cons + n, __ATOMIC_RELEASE);
      p.rxFrames += n;
      p.rxBatches++;
      onBatch_.MakeCallback(Value(), {Napi::Number::New(env, side), Napi::Number::New(env, n)});
      if (env.IsExceptionPending()) {
        Napi::Error e = env.GetAndClearPendingException();
        napi_fatal_exception(env, e.Value());
      }
      if (closed_) return;
      // What JS did not send goes back to the fill ring it came from while it has room (a refill
      // may have topped it up meanwhile), else to the free list.
      uint32_t prod = *p.fill.producer;
      uint32_t space = p.fill.size - (prod - p.fill.Cons());
      uint32_t back = 0;
      for (uint32_t i = 0; i < n; i++) {
        uint64_t frame = batchAddrs_[i] >> frameShift_;
        if (frame >= frameCount_ || state_[frame] != kInJs) continue;
        uint64_t addr = frame << frameShift_;
        if (back == space) {
          state_[frame] = kFree;
          free_.push_back(addr);
          continue;
        }
        p.fill.Addrs()[(prod + back) & (p.fill.size - 1)] = addr;
        state_[frame] = kFill;
        back++;
      }
      if (back > 0) __atomic_store_n(p.fill.producer, prod + back, __ATOMIC_RELEASE);
      Kick();
      Refill();
    }
    for (int i = 0; i < nPorts_; i++) {
      Port& q = ports_[i];
      if (q.fill.NeedsWakeup()) {
        q.fillWakeups++;
        recvfrom(q.fd, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
      }
    }
    ArmTimer();
  }

  uint32_t frameCount_ = 0, frameSize_ = 0, ringSize_ = 0, frameShift_ = 11;
  Umem* umem_ = nullptr;
  std::vector<uint8_t> state_;
  std::vector<uint64_t> free_;
  std::vector<uint64_t> batchAddrs_;
  Port ports_[kMaxSockets];
  int nPorts_ = 0;
  bool zeroCopy_ = false;
  bool started_ = false;
  bool closed_ = false;
  uint32_t txPending_ = 0;
  uv_timer_t* timer_ = nullptr;
  int32_t* meta_ = nullptr;
  uint32_t metaFrames_ = 0;
  Napi::Reference<Napi::ArrayBuffer> metaRef_, umemRef_;
  Napi::FunctionReference onBatch_;
};

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Bridge", Bridge::Init(env));
  exports.Set("META_STRIDE", Napi::Number::New(env, kMetaStride));
  exports.Set("SEND_STRIDE", Napi::Number::New(env, kSendStride));
  return exports;
}

}  // namespace

NODE_API_MODULE(afxdp, InitModule)
