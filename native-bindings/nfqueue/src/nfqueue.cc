// N-API binding of libnetfilter_queue: one queue, read on the libuv loop when its netlink socket is
// readable, a batch of netlink messages at a time (recvmmsg) straight into slots of a JS-owned arena
// (each packet's bytes are handed over where they landed: no copy), verdicts taken back from a
// JS-owned array right after each batch (a packet JS defers stays queued until its own
// `verdict(id, accept)`). The kernel copies only the first `copyRange` bytes of each packet (the
// headers: a verdict without a payload leaves the packet as it was) and, with NFQA_CFG_F_GSO, queues
// GSO super-packets whole instead of segmenting them first. libnetfilter_queue sets the queue up and
// sends verdicts; the packet messages are parsed here, in place, for the attributes its accessors
// lack (NFQA_CAP_LEN: the packet's real length; NFQA_SKB_INFO: GSO, checksum not ready). No policy
// here: the TypeScript wrapper (src/capture/nfqueue.ts) owns types, errors and what a verdict means.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnfnetlink/libnfnetlink.h>
#include <linux/netfilter.h>
}

namespace {

// Per packet, in the meta array: id, offset of its copied bytes in the arena, bytes copied, hook,
// in/out ifindex, the packet's length (NFQA_CAP_LEN, or the bytes copied when it was copied whole),
// NFQA_SKB_INFO flags, and for a bridged packet (br_netfilter) the bridge ports it came in on and
// goes out of (NFQA_IFINDEX_PHYSINDEV / PHYSOUTDEV; 0 otherwise).
constexpr uint32_t kMetaStride = 10;
// Room in a slot for a packet message's header and attributes besides the payload (nlmsghdr,
// nfgenmsg, packet header, interfaces, mark, hardware address, timestamp, lengths: ~150 bytes). A
// message longer than its slot is cut (MSG_TRUNC): the payload comes last, so only its tail is lost.
constexpr size_t kSlotOverhead = 512;
// A verdict JS leaves for later: the packet stays queued until verdict(id, accept).
constexpr uint8_t kDefer = 2;
// Batches handled per readable event before yielding to the event loop.
constexpr int kRoundsPerWakeup = 16;

std::string Errno(const char* what) { return std::string(what) + ": " + strerror(errno); }

class Queue : public Napi::ObjectWrap<Queue> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Queue",
                       {InstanceMethod<&Queue::Start>("start"), InstanceMethod<&Queue::Close>("close"),
                        InstanceMethod<&Queue::Stats>("stats"), InstanceMethod<&Queue::Fd>("fd"),
                        InstanceMethod<&Queue::Verdict>("verdict")});
  }

  // new Queue(queueNum, maxLen, failOpen, arena: ArrayBuffer, meta: ArrayBuffer (uint32),
  //           verdicts: ArrayBuffer (uint8), maxBatch, onBatch(count), copyRange, gso)
  explicit Queue(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Queue>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 10 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsBoolean() ||
        !info[3].IsArrayBuffer() || !info[4].IsArrayBuffer() || !info[5].IsArrayBuffer() || !info[6].IsNumber() ||
        !info[7].IsFunction() || !info[8].IsNumber() || !info[9].IsBoolean()) {
      Napi::TypeError::New(env, "Queue(queueNum, maxLen, failOpen, arena, meta, verdicts, maxBatch, onBatch, copyRange, gso)")
          .ThrowAsJavaScriptException();
      return;
    }
    copyRange_ = info[8].As<Napi::Number>().Uint32Value();
    bool gso = info[9].As<Napi::Boolean>().Value();
    if (copyRange_ < 64 || copyRange_ > 0xffff) {
      Napi::RangeError::New(env, "Queue: copyRange is not 64-65535").ThrowAsJavaScriptException();
      return;
    }
    slot_ = copyRange_ + kSlotOverhead;
    queueNum_ = info[0].As<Napi::Number>().Uint32Value();
    uint32_t maxLen = info[1].As<Napi::Number>().Uint32Value();
    bool failOpen = info[2].As<Napi::Boolean>().Value();
    Napi::ArrayBuffer arena = info[3].As<Napi::ArrayBuffer>();
    Napi::ArrayBuffer meta = info[4].As<Napi::ArrayBuffer>();
    Napi::ArrayBuffer verdicts = info[5].As<Napi::ArrayBuffer>();
    maxBatch_ = info[6].As<Napi::Number>().Uint32Value();
    if (maxBatch_ == 0 || meta.ByteLength() < maxBatch_ * kMetaStride * 4 || verdicts.ByteLength() < maxBatch_ ||
        arena.ByteLength() < slot_) {
      Napi::RangeError::New(env, "Queue: arena, meta or verdicts too small for maxBatch").ThrowAsJavaScriptException();
      return;
    }
    arena_ = static_cast<uint8_t*>(arena.Data());
    arenaLen_ = arena.ByteLength();
    // One recvmmsg fills up to `slots_` messages, each in its own slot of the arena.
    slots_ = static_cast<uint32_t>(std::min<size_t>(maxBatch_, arenaLen_ / slot_));
    iovs_.resize(slots_);
    msgs_.resize(slots_);
    for (uint32_t i = 0; i < slots_; i++) {
      iovs_[i].iov_base = arena_ + i * slot_;
      iovs_[i].iov_len = slot_;
      memset(&msgs_[i], 0, sizeof msgs_[i]);
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    meta_ = static_cast<uint32_t*>(meta.Data());
    verdicts_ = static_cast<uint8_t*>(verdicts.Data());
    arenaRef_ = Napi::Persistent(arena);
    metaRef_ = Napi::Persistent(meta);
    verdictsRef_ = Napi::Persistent(verdicts);
    onBatch_ = Napi::Persistent(info[7].As<Napi::Function>());

    h_ = nfq_open();
    if (h_ == nullptr) { Fail(env, Errno("nfq_open")); return; }
    // Kernels before 3.8 need the address families bound; later ones ignore the request.
    if (nfq_bind_pf(h_, AF_INET) < 0) { Fail(env, Errno("nfq_bind_pf(AF_INET)")); return; }
    if (nfq_bind_pf(h_, AF_INET6) < 0) { Fail(env, Errno("nfq_bind_pf(AF_INET6)")); return; }
    // Packet messages are parsed in Drain, not through libnetfilter_queue's callback.
    qh_ = nfq_create_queue(h_, static_cast<uint16_t>(queueNum_), &Queue::Unused, this);
    if (qh_ == nullptr) { Fail(env, Errno(("nfq_create_queue(" + std::to_string(queueNum_) + ")").c_str())); return; }
    if (nfq_set_mode(qh_, NFQNL_COPY_PACKET, copyRange_) < 0) { Fail(env, Errno("nfq_set_mode")); return; }
    if (maxLen > 0 && nfq_set_queue_maxlen(qh_, maxLen) < 0) { Fail(env, Errno("nfq_set_queue_maxlen")); return; }
    if (failOpen && nfq_set_queue_flags(qh_, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0) {
      Fail(env, Errno("nfq_set_queue_flags(FAIL_OPEN)"));
      return;
    }
    // GSO super-packets queued whole (kernel 3.10+): segmenting them before the queue costs more than
    // judging them, and their headers say all a verdict needs. Their IP length is the whole
    // super-packet's and their checksums may not be filled in yet (NFQA_SKB_INFO says so); the verdict
    // leaves them as they are. A kernel without it segments them, as before.
    if (gso) gso_ = nfq_set_queue_flags(qh_, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) == 0;
    // A larger socket buffer absorbs bursts between two wakeups; overruns still show as ENOBUFS.
    nfnl_rcvbufsiz(nfq_nfnlh(h_), 8 * 1024 * 1024);
    fd_ = nfq_fd(h_);
  }

  ~Queue() override { Shutdown(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (h_ == nullptr) {
      Napi::Error::New(env, "Queue: closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_ != nullptr) return env.Undefined();
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    if (uv_poll_init(loop, poll_, fd_) != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, "Queue: uv_poll_init failed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, &Queue::OnReadable);
    // Held while polling so GC cannot finalize a queue the loop still calls into.
    Ref();
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // [received, batches, enobufs, verdictErrors, overflows, gsoPackets, cut, gsoEnabled, truncated]
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env, 9);
    a.Set(0u, Napi::Number::New(env, static_cast<double>(received_)));
    a.Set(1u, Napi::Number::New(env, static_cast<double>(batches_)));
    a.Set(2u, Napi::Number::New(env, static_cast<double>(enobufs_)));
    a.Set(3u, Napi::Number::New(env, static_cast<double>(verdictErrors_)));
    a.Set(4u, Napi::Number::New(env, static_cast<double>(overflows_)));
    a.Set(5u, Napi::Number::New(env, static_cast<double>(gsoPackets_)));
    a.Set(6u, Napi::Number::New(env, static_cast<double>(cut_)));
    a.Set(7u, Napi::Number::New(env, gso_ ? 1 : 0));
    a.Set(8u, Napi::Number::New(env, static_cast<double>(truncated_)));
    return a;
  }

  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  // verdict(id, accept): answers one packet a batch left deferred. Returns false when the queue is
  // closed (the kernel dropped what was pending) or the kernel refused the verdict.
  Napi::Value Verdict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBoolean()) {
      Napi::TypeError::New(env, "verdict(id, accept)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (deferred_ > 0) deferred_--;
    if (qh_ == nullptr) return Napi::Boolean::New(env, false);
    uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    int rc = nfq_set_verdict(qh_, id, info[1].As<Napi::Boolean>().Value() ? NF_ACCEPT : NF_DROP, 0, nullptr);
    if (rc < 0) verdictErrors_++;
    return Napi::Boolean::New(env, rc >= 0);
  }

  void Fail(Napi::Env env, const std::string& message) {
    Shutdown();
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
  }

  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
      Unref();
    }
    if (qh_ != nullptr) nfq_destroy_queue(qh_);
    qh_ = nullptr;
    if (h_ != nullptr) nfq_close(h_);
    h_ = nullptr;
    fd_ = -1;
  }

  static int Unused(struct nfq_q_handle*, struct nfgenmsg*, struct nfq_data*, void*) { return 0; }

  static uint32_t Be32(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
  }

  // One received buffer (`got` bytes of a slot, `cut`: the kernel's message did not fit): its packet
  // messages into the meta array. Other messages (errors about a verdict the kernel refused, done)
  // are not packets; an error is counted.
  void ParseBuffer(uint8_t* buf, size_t got, bool cut) {
    size_t at = 0;
    // (`at` may pass `got` by the last message's alignment padding: compare, never subtract.)
    while (at + NLMSG_HDRLEN <= got) {
      const struct nlmsghdr* nlh = reinterpret_cast<const struct nlmsghdr*>(buf + at);
      size_t len = nlh->nlmsg_len;
      if (len < NLMSG_HDRLEN) return;
      // A message cut by the slot: what arrived of it (only a packet message can be that long).
      bool msgCut = len > got - at;
      if (msgCut && !cut) return;
      size_t have = msgCut ? got - at : len;
      if (nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
        ParsePacket(buf + at, have, msgCut);
      } else if (nlh->nlmsg_type == NLMSG_ERROR) {
        verdictErrors_++;
      }
      if (msgCut) return;
      at += NLMSG_ALIGN(len);
    }
  }

  void ParsePacket(uint8_t* msg, size_t have, bool msgCut) {
    size_t at = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
    bool haveId = false;
    uint32_t id = 0, hook = 0, indev = 0, outdev = 0, physIn = 0, physOut = 0, capLen = 0, skbInfo = 0;
    uint8_t* payload = nullptr;
    uint32_t copied = 0, claimed = 0;
    while (have >= at + NFA_LENGTH(0)) {
      uint16_t alen, type;
      memcpy(&alen, msg + at, 2);
      memcpy(&type, msg + at + 2, 2);
      type &= NFNL_NFA_NEST - 1;
      if (alen < NFA_LENGTH(0)) break;
      uint8_t* data = msg + at + NFA_LENGTH(0);
      size_t dlen = alen - NFA_LENGTH(0);
      if (at + alen > have) {
        // Only the payload (the last attribute) can run past a cut message: keep what arrived.
        if (type == NFQA_PAYLOAD && msgCut) {
          payload = data;
          copied = static_cast<uint32_t>(have - at - NFA_LENGTH(0));
          claimed = static_cast<uint32_t>(dlen);
        }
        break;
      }
      switch (type) {
        case NFQA_PACKET_HDR:
          if (dlen >= sizeof(struct nfqnl_msg_packet_hdr)) {
            id = Be32(data);
            hook = data[offsetof(struct nfqnl_msg_packet_hdr, hook)];
            haveId = true;
          }
          break;
        case NFQA_IFINDEX_INDEV: if (dlen >= 4) indev = Be32(data); break;
        case NFQA_IFINDEX_OUTDEV: if (dlen >= 4) outdev = Be32(data); break;
        case NFQA_IFINDEX_PHYSINDEV: if (dlen >= 4) physIn = Be32(data); break;
        case NFQA_IFINDEX_PHYSOUTDEV: if (dlen >= 4) physOut = Be32(data); break;
        case NFQA_CAP_LEN: if (dlen >= 4) capLen = Be32(data); break;
        case NFQA_SKB_INFO: if (dlen >= 4) skbInfo = Be32(data); break;
        case NFQA_PAYLOAD:
          payload = data;
          copied = claimed = static_cast<uint32_t>(dlen);
          break;
        default: break;
      }
      at += NFA_ALIGN(alen);
    }
    if (!haveId) {
      // Not a packet we can answer (no id): nothing to give a verdict to.
      overflows_++;
      return;
    }
    if (count_ >= maxBatch_) {
      // Cannot happen: a batch is at most maxBatch messages of one packet each. Fail closed rather
      // than leave the packet queued.
      overflows_++;
      nfq_set_verdict(qh_, id, NF_DROP, 0, nullptr);
      return;
    }
    if (payload == nullptr) copied = claimed = 0;
    // The packet's real length: the kernel names it when it copied less (NFQA_CAP_LEN).
    uint32_t wire = std::max(capLen, claimed);
    if (copied < claimed) truncated_++;
    if (wire > copied) cut_++;
    if (skbInfo & NFQA_SKB_GSO) gsoPackets_++;
    // The bytes stay where recvmmsg put them, inside the message's slot of the arena.
    uint32_t* m = meta_ + count_ * kMetaStride;
    m[0] = id;
    m[1] = payload == nullptr ? 0 : static_cast<uint32_t>(payload - arena_);
    m[2] = copied;
    m[3] = hook;
    m[4] = indev;
    m[5] = outdev;
    m[6] = wire;
    m[7] = skbInfo;
    m[8] = physIn;
    m[9] = physOut;
    count_++;
    received_++;
  }

  static void OnReadable(uv_poll_t* handle, int status, int) {
    Queue* q = static_cast<Queue*>(handle->data);
    if (status < 0 || q->h_ == nullptr) return;
    q->Drain();
  }

  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (int round = 0; round < kRoundsPerWakeup && h_ != nullptr; round++) {
      count_ = 0;
      int n = recvmmsg(fd_, msgs_.data(), slots_, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) {
          // The kernel could not deliver some packets to us: they got the queue's failure verdict.
          enobufs_++;
          continue;
        }
        return;  // EAGAIN: nothing more for now
      }
      // One message per packet (nf_queue sends each as its own netlink message), parsed in place.
      for (int i = 0; i < n && h_ != nullptr; i++) {
        ParseBuffer(static_cast<uint8_t*>(iovs_[i].iov_base), msgs_[i].msg_len, (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
        msgs_[i].msg_hdr.msg_flags = 0;
      }
      if (count_ > 0) Flush(env);
      if (static_cast<uint32_t>(n) < slots_) return;  // the socket is drained
    }
  }

  void Flush(Napi::Env env) {
    uint32_t count = count_;
    // Fail closed: a packet JS did not answer (it threw) is dropped.
    memset(verdicts_, NF_DROP, count);
    batches_++;
    onBatch_.MakeCallback(Value(), {Napi::Number::New(env, count)});
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
    if (qh_ == nullptr) return;  // closed from inside the callback: the kernel drops what was pending
    for (uint32_t i = 0; i < count; i++) {
      if (verdicts_[i] == kDefer) deferred_++;
    }
    uint32_t i = 0;
    while (i < count) {
      if (verdicts_[i] == kDefer) {  // answered later, by verdict(id, accept)
        i++;
        continue;
      }
      uint32_t verdict = verdicts_[i] ? NF_ACCEPT : NF_DROP;
      uint32_t j = i;
      // A run of consecutive ids with one verdict goes in one message; every earlier id is already
      // answered. A batch verdict answers every pending id up to its own, so while a deferred
      // packet is pending each id goes alone.
      while (deferred_ == 0 && j + 1 < count && meta_[(j + 1) * kMetaStride] == meta_[j * kMetaStride] + 1 &&
             verdicts_[j + 1] != kDefer && (verdicts_[j + 1] ? NF_ACCEPT : NF_DROP) == verdict) {
        j++;
      }
      int rc = j > i ? nfq_set_verdict_batch(qh_, meta_[j * kMetaStride], verdict)
                     : nfq_set_verdict(qh_, meta_[i * kMetaStride], verdict, 0, nullptr);
      if (rc < 0) verdictErrors_++;
      i = j + 1;
    }
  }

  struct nfq_handle* h_ = nullptr;
  struct nfq_q_handle* qh_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  int fd_ = -1;
  uint32_t queueNum_ = 0;
  uint32_t maxBatch_ = 0;
  uint8_t* arena_ = nullptr;
  size_t arenaLen_ = 0;
  uint32_t slots_ = 0;
  uint32_t copyRange_ = 0;
  size_t slot_ = 0;
  // NFQA_CFG_F_GSO was accepted
  bool gso_ = false;
  std::vector<struct iovec> iovs_;
  std::vector<struct mmsghdr> msgs_;
  uint32_t* meta_ = nullptr;
  uint8_t* verdicts_ = nullptr;
  uint32_t count_ = 0;
  // deferred packets not yet answered by verdict(): while any is, no batch verdicts
  uint64_t deferred_ = 0;
  uint64_t received_ = 0, batches_ = 0, enobufs_ = 0, verdictErrors_ = 0, overflows_ = 0;
  // packets queued as GSO super-packets; packets copied in part (headers only); messages cut by a slot
  uint64_t gsoPackets_ = 0, cut_ = 0, truncated_ = 0;
  Napi::Reference<Napi::ArrayBuffer> arenaRef_, metaRef_, verdictsRef_;
  Napi::FunctionReference onBatch_;
};

}  // namespace

// caps.cc: the capability drop of `sgfw run --mode host`, in the same addon to keep one build.
void InitCapabilities(Napi::Env env, Napi::Object exports);

namespace {

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Queue", Queue::Init(env));
  InitCapabilities(env, exports);
  exports.Set("META_STRIDE", Napi::Number::New(env, kMetaStride));
  return exports;
}

}  // namespace

NODE_API_MODULE(nfqueue, InitModule)
