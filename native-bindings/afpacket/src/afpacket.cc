// N-API binding of one AF_PACKET socket bound to one interface: a TPACKET_V3 receive ring read on
// the libuv loop, one JS call per retired ring block, and sends of many frames in one sendmmsg.
// No policy here: the TypeScript wrapper (src/capture/afpacket.ts) owns types, errors, defaults.
//
// Offloads (PACKET_VNET_HDR, asked for by a bridge): every frame in the ring is preceded by the
// virtio_net_hdr the kernel wrote for it (segmentation offload: type and size; a checksum left to
// complete: where), so a 64 KB TCP super-frame (TSO/GSO from a veth peer, GRO on a NIC) arrives
// whole with what the kernel needs to send it on whole, and a bridge sends each frame with that
// header in front: the kernel segments it or hands it to a device that does.
//
// Zero copy: the whole ring is one external ArrayBuffer that JS views once. A batch's meta gives
// each frame's offset in it; the block is handed back to the kernel when the call returns, so the
// bytes are valid only during the call. close() detaches that ArrayBuffer (every JS view becomes
// empty) before it unmaps the ring, so a view kept past close reads nothing rather than freed pages.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <string>
#include <vector>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace {

// Per frame, in the meta array: offset in the ring, captured length, length on the wire, flags.
constexpr uint32_t kMetaStride = 4;
// Per frame to send, in sendBatch's array: offset in the data, length.
constexpr uint32_t kSendStride = 2;
constexpr int32_t kFlagTruncated = 1;
// Blocks handed to JS per readable event before yielding to the event loop (epoll is level
// triggered: the rest wakes us again).
constexpr int kBlocksPerWakeup = 16;
// The fanout argument: -1 none, kNewFanoutGroup a group of our own (an id the kernel picks, so no other
// process's group on this interface can be joined by chance), 0..65535 join that group.
constexpr int32_t kNewFanoutGroup = 65536;
// Messages per sendmmsg call (the kernel caps one call at UIO_MAXIOV, 1024).
constexpr uint32_t kSendChunk = 256;
// V3 ignores the frame size but checks it divides the block (linux/if_packet.h, packet_set_ring).
constexpr uint32_t kFrameSize = 2048;
// Where the kernel puts a frame's sockaddr_ll: right after the aligned tpacket3_hdr.
constexpr size_t kSllOffset = TPACKET_ALIGN(sizeof(struct tpacket3_hdr));
// PACKET_VNET_HDR's header: struct virtio_net_hdr (linux/virtio_net.h, which C++ cannot include: a
// field there is named `class`), 10 bytes in the host's byte order, right before each frame in the
// ring and before each one sent.
struct VnetHeader {
  uint8_t flags;
  uint8_t gsoType;
  uint16_t hdrLen;
  uint16_t gsoSize;
  uint16_t csumStart;
  uint16_t csumOffset;
} __attribute__((packed));
constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint32_t kVnetHeaderLength = sizeof(VnetHeader);
static_assert(kVnetHeaderLength == 10, "struct virtio_net_hdr is 10 bytes");
// A bridge's send buffer: the kernel charges each frame in flight to it until the device has sent it
// (on veth at once; on a NIC at TX completion), and a full buffer refuses a nonblocking send. The
// default (wmem_default, ~208 KiB) holds three 64 KB super-frames; 4 MiB holds ~60 of them.
constexpr int kBridgeSendBuffer = 4 << 20;

std::string ErrnoText(const std::string& what, int err) { return what + ": " + strerror(err); }

const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EIO";
}

// The fanout group's classic BPF program: which member gets a frame (its return value modulo the
// members). Run on the frame as the kernel received it, the VLAN tag already taken out into the skb
// (so loads from the network header, SKF_NET_OFF, and the EtherType from SKF_AD_PROTOCOL). Returns
//   IPv4: mix(fold(saddr ^ daddr) + protocol); an ICMP error (type 3, 4, 5, 11, 12, in a datagram's
//         first fragment) the same over the IPv4 header it quotes;
//   IPv6: mix(fold(XOR of the address words)) (no next header: a fragment's is 44, its flow's 6);
//         an ICMPv6 error (type 1-4, next header 58 directly) the same over the header it quotes;
//   anything else (ARP, …) 0. A load past the frame's end makes the program return 0.
// Symmetric (XOR), so both directions of a flow, and its errors, reach one member.
std::vector<struct sock_filter> FlowSpreader() {
  constexpr int32_t N = SKF_NET_OFF;
  struct Insn { uint16_t code; uint32_t k; int jt; int jf; };  // jt/jf: label numbers, -1 next
  enum Label { kV4 = 0, kV6, kV4Inner, kV4Outer, kFold4, kV6Inner, kV6Outer, kFold, kMix, kLabels };
  std::vector<Insn> code;
  int at[kLabels];
  const auto op = [&](uint16_t c, uint32_t k) { code.push_back({c, k, -1, -1}); };
  const auto jump = [&](uint16_t c, uint32_t k, int jt, int jf) { code.push_back({c, k, jt, jf}); };
  const auto label = [&](Label l) { at[l] = static_cast<int>(code.size()); };
  const auto k = [](int32_t v) { return static_cast<uint32_t>(v); };
  op(BPF_LD | BPF_H | BPF_ABS, k(SKF_AD_OFF + SKF_AD_PROTOCOL));
  jump(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, kV4, -1);
  jump(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, kV6, -1);
  op(BPF_RET | BPF_K, 0);

  label(kV4);
  op(BPF_LD | BPF_B | BPF_ABS, k(N + 9));
  jump(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, -1, kV4Outer);
  op(BPF_LD | BPF_H | BPF_ABS, k(N + 6));
  jump(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, kV4Outer, -1);  // a later fragment: no ICMP header
  op(BPF_LD | BPF_B | BPF_ABS, k(N + 0));
  op(BPF_ALU | BPF_AND | BPF_K, 0x0f);
  op(BPF_ALU | BPF_LSH | BPF_K, 2);
  op(BPF_MISC | BPF_TAX, 0);  // X = the IPv4 header's length
  op(BPF_LD | BPF_B | BPF_IND, k(N + 0));  // the ICMP type
  for (uint32_t type : {3u, 4u, 5u, 11u, 12u}) jump(BPF_JMP | BPF_JEQ | BPF_K, type, kV4Inner, -1);
  jump(BPF_JMP | BPF_JA, 0, kV4Outer, kV4Outer);

  label(kV4Inner);  // the quoted IPv4 header starts 8 bytes into the ICMP message
  op(BPF_LD | BPF_B | BPF_IND, k(N + 8 + 9));
  op(BPF_ST, 2);
  op(BPF_LD | BPF_W | BPF_IND, k(N + 8 + 12));
  op(BPF_ST, 0);
  op(BPF_LD | BPF_W | BPF_IND, k(N + 8 + 16));
  op(BPF_LDX | BPF_MEM, 0);
  op(BPF_ALU | BPF_XOR | BPF_X, 0);
  jump(BPF_JMP | BPF_JA, 0, kFold4, kFold4);

  label(kV4Outer);
  op(BPF_LD | BPF_B | BPF_ABS, k(N + 9));
  op(BPF_ST, 2);
  op(BPF_LD | BPF_W | BPF_ABS, k(N + 12));
  op(BPF_MISC | BPF_TAX, 0);
  op(BPF_LD | BPF_W | BPF_ABS, k(N + 16));
  op(BPF_ALU | BPF_XOR | BPF_X, 0);

  label(kFold4);  // A = saddr ^ daddr, M[2] = protocol
  op(BPF_MISC | BPF_TAX, 0);
  op(BPF_ALU | BPF_RSH | BPF_K, 16);
  op(BPF_ALU | BPF_XOR | BPF_X, 0);
  op(BPF_LDX | BPF_MEM, 2);
  op(BPF_ALU | BPF_ADD | BPF_X, 0);
  jump(BPF_JMP | BPF_JA, 0, kMix, kMix);

  label(kV6);
  op(BPF_LD | BPF_B | BPF_ABS, k(N + 6));
  jump(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, -1, kV6Outer);
  op(BPF_LD | BPF_B | BPF_ABS, k(N + 40));  // the ICMPv6 type
  jump(BPF_JMP | BPF_JEQ | BPF_K, 0, kV6Outer, -1);
  jump(BPF_JMP | BPF_JGT | BPF_K, 4, kV6Outer, kV6Inner);

  // The 8 address words from `base` (16 bytes of source, 16 of destination), XORed into A.
  const auto xorAddresses = [&](int32_t base) {
    op(BPF_LD | BPF_W | BPF_ABS, k(N + base));
    for (int32_t w = 1; w < 8; w++) {
      op(BPF_MISC | BPF_TAX, 0);
      op(BPF_LD | BPF_W | BPF_ABS, k(N + base + 4 * w));
      op(BPF_ALU | BPF_XOR | BPF_X, 0);
    }
  };
  label(kV6Inner);  // the quoted IPv6 header starts 8 bytes into the ICMPv6 message
  xorAddresses(40 + 8 + 8);
  jump(BPF_JMP | BPF_JA, 0, kFold, kFold);
  label(kV6Outer);
  xorAddresses(8);

  label(kFold);
  op(BPF_MISC | BPF_TAX, 0);
  op(BPF_ALU | BPF_RSH | BPF_K, 16);
  op(BPF_ALU | BPF_XOR | BPF_X, 0);

  label(kMix);  // Fibonacci hashing: the modulo sees every input bit, not only the low ones
  op(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u);
  op(BPF_ALU | BPF_RSH | BPF_K, 16);
  op(BPF_RET | BPF_A, 0);

  std::vector<struct sock_filter> out;
  for (size_t i = 0; i < code.size(); i++) {
    const Insn& in = code[i];
    const auto rel = [&](int l) { return static_cast<uint8_t>(l < 0 ? 0 : at[l] - static_cast<int>(i) - 1); };
    if (in.code == (BPF_JMP | BPF_JA)) {
      out.push_back(BPF_STMT(in.code, static_cast<uint32_t>(at[in.jt] - static_cast<int>(i) - 1)));
    } else if (BPF_CLASS(in.code) == BPF_JMP) {
      out.push_back(BPF_JUMP(in.code, in.k, rel(in.jt), rel(in.jf)));
    } else {
      out.push_back(BPF_STMT(in.code, in.k));
    }
  }
  return out;
}

// Owned by the external ArrayBuffer's finalizer, so the mapping outlives every JS view of it.
struct Ring {
  uint8_t* base = nullptr;
  size_t length = 0;
  void Unmap() {
    if (base != nullptr) munmap(base, length);
    base = nullptr;
  }
};

void FinalizeRing(Napi::Env, void*, Ring* ring) {
  ring->Unmap();
  delete ring;
}

class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Socket",
                       {InstanceMethod<&Socket::Start>("start"), InstanceMethod<&Socket::Close>("close"),
                        InstanceMethod<&Socket::Stats>("stats"), InstanceMethod<&Socket::Ring_>("ring"),
                        InstanceMethod<&Socket::Send>("send"), InstanceMethod<&Socket::SendBatch>("sendBatch"),
                        InstanceMethod<&Socket::Info>("info")});
  }

  // new Socket(device, blockSize, blockCount, blockTimeoutMs, promiscuous, meta: ArrayBuffer (int32), onBatch(count),
  //            outgoing = false, fanout = -1, vnetHeader = false)
  explicit Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 7 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber() ||
        !info[4].IsBoolean() || !info[5].IsArrayBuffer() || !info[6].IsFunction()) {
      Napi::TypeError::New(env, "Socket(device, blockSize, blockCount, blockTimeoutMs, promiscuous, meta, onBatch)")
          .ThrowAsJavaScriptException();
      return;
    }
    std::string device = info[0].As<Napi::String>().Utf8Value();
    blockSize_ = info[1].As<Napi::Number>().Uint32Value();
    blockCount_ = info[2].As<Napi::Number>().Uint32Value();
    uint32_t timeoutMs = info[3].As<Napi::Number>().Uint32Value();
    bool promiscuous = info[4].As<Napi::Boolean>().Value();
    Napi::ArrayBuffer meta = info[5].As<Napi::ArrayBuffer>();
    if (blockSize_ < 4096 || (blockSize_ & (blockSize_ - 1)) != 0 || blockCount_ == 0 ||
        meta.ByteLength() < kMetaStride * 4) {
      Napi::RangeError::New(env, "Socket: block size must be a power of two ≥ 4096, block count ≥ 1, meta non-empty")
          .ThrowAsJavaScriptException();
      return;
    }
    meta_ = static_cast<int32_t*>(meta.Data());
    metaFrames_ = static_cast<uint32_t>(meta.ByteLength() / (kMetaStride * 4));
    metaRef_ = Napi::Persistent(meta);
    onBatch_ = Napi::Persistent(info[6].As<Napi::Function>());
    // Monitor mode watches both directions, as libpcap does; the bridge must never see its own sends.
    outgoing_ = info.Length() > 7 && info[7].IsBoolean() && info[7].As<Napi::Boolean>().Value();
    const int32_t fanout = info.Length() > 8 && info[8].IsNumber() ? info[8].As<Napi::Number>().Int32Value() : -1;
    if (fanout < -1 || fanout > kNewFanoutGroup) {
      Napi::RangeError::New(env, "Socket: fanout group must be -1, 0-65535 or 65536 (a new one)").ThrowAsJavaScriptException();
      return;
    }
    vnet_ = info.Length() > 9 && info[9].IsBoolean() && info[9].As<Napi::Boolean>().Value();

    // The name first: a missing interface is ENODEV whoever asks.
    ifindex_ = static_cast<int>(if_nametoindex(device.c_str()));
    if (ifindex_ == 0) { Fail(env, "if_nametoindex(" + device + ")", errno == ENXIO ? ENODEV : errno); return; }
    // Protocol 0: nothing is queued to the socket before the ring exists and bind names the interface.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) { Fail(env, "socket(AF_PACKET, SOCK_RAW)", errno); return; }
    int version = TPACKET_V3;
    if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) { Fail(env, "PACKET_VERSION(TPACKET_V3)", errno); return; }
    // Frames leaving the interface (our own injections, the host's stack, other sockets) never
    // reach the ring. Kernels before 4.20 lack it: the packet-type check below still skips them.
    int one = 1;
    if (outgoing_) {
      // Kept: frames leaving the interface are captured too (a receive-only socket never sends).
    } else if (setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) == 0) {
      ignoresOutgoing_ = true;
    } else if (errno != ENOPROTOOPT && errno != EINVAL) {
      Fail(env, "PACKET_IGNORE_OUTGOING", errno);
      return;
    }
    // Before the ring: the kernel refuses PACKET_VNET_HDR on a socket that has one (EBUSY).
    if (vnet_ && setsockopt(fd_, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0) { Fail(env, "PACKET_VNET_HDR", errno); return; }
    if (vnet_) {
      // SO_SNDBUFFORCE passes wmem_max (needs CAP_NET_ADMIN, which inline mode holds while it opens
      // its sockets); without it, SO_SNDBUF up to wmem_max. Neither is fatal: sends still work.
      int bytes = kBridgeSendBuffer;
      if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0) setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    }
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = blockSize_;
    req.tp_block_nr = blockCount_;
    req.tp_frame_size = kFrameSize;
    req.tp_frame_nr = (blockSize_ / kFrameSize) * blockCount_;
    req.tp_retire_blk_tov = timeoutMs;
    if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) { Fail(env, "PACKET_RX_RING", errno); return; }
    size_t length = static_cast<size_t>(blockSize_) * blockCount_;
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (base == MAP_FAILED) { Fail(env, "mmap(ring)", errno); return; }
    ring_ = new Ring{static_cast<uint8_t*>(base), length};
    Napi::ArrayBuffer ringBuffer = Napi::ArrayBuffer::New(env, base, length, FinalizeRing, ring_);
    if (env.IsExceptionPending()) {
      ring_->Unmap();
      delete ring_;
      ring_ = nullptr;
      Shutdown();
      return;
    }
    ringRef_ = Napi::Persistent(ringBuffer);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex_;
    // In a fanout group, the socket must take nothing of its own between bind and joining: every
    // frame it queued would also reach the group's member chosen for it (sent twice). A filter that
    // takes nothing holds it off until it has joined (the kernel requires a bound socket to join).
    struct sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog noneProg = {1, none};
    if (fanout >= 0 && setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &noneProg, sizeof noneProg) != 0) { Fail(env, "SO_ATTACH_FILTER", errno); return; }
    if (bind(fd_, reinterpret_cast<struct sockaddr*>(&sll), sizeof sll) != 0) { Fail(env, "bind(" + device + ")", errno); return; }
    if (fanout >= 0) {
      // PACKET_FANOUT_CBPF with FlowSpreader() below: a hash of the address pair the same both ways,
      // and for an ICMP error the same hash of the datagram it quotes, so a router's error about a
      // flow reaches the member whose conntrack table holds it. Addresses only (no ports): every
      // fragment of a datagram reaches the member its unfragmented packets reach. Modulo the members
      // in the order they joined. No PACKET_FANOUT_FLAG_DEFRAG: the member would get the datagram
      // reassembled, which a bridge could not send on (longer than the MTU).
      uint32_t arg = fanout == kNewFanoutGroup ? ((PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID) << 16)
                                               : (static_cast<uint32_t>(fanout) | (PACKET_FANOUT_CBPF << 16));
      if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) { Fail(env, "PACKET_FANOUT", errno); return; }
      uint32_t joined = 0;
      socklen_t joinedLen = sizeof joined;
      if (getsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &joined, &joinedLen) != 0) { Fail(env, "getsockopt(PACKET_FANOUT)", errno); return; }
      fanoutGroup_ = static_cast<int32_t>(joined & 0xffff);
      // One program per group: every member sets the same one (the first before any frame is spread).
      static const std::vector<struct sock_filter> spreader = FlowSpreader();
      struct sock_fprog spreaderProg = {static_cast<unsigned short>(spreader.size()), const_cast<struct sock_filter*>(spreader.data())};
      if (setsockopt(fd_, SOL_PACKET, PACKET_FANOUT_DATA, &spreaderProg, sizeof spreaderProg) != 0) { Fail(env, "PACKET_FANOUT_DATA(cBPF)", errno); return; }
      if (setsockopt(fd_, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof one) != 0) { Fail(env, "SO_DETACH_FILTER", errno); return; }
    }
    if (promiscuous) {
      // A membership, not the interface flag: the kernel drops it when the socket closes, however we exit.
      struct packet_mreq mr;
      memset(&mr, 0, sizeof mr);
      mr.mr_ifindex = ifindex_;
      mr.mr_type = PACKET_MR_PROMISC;
      if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) { Fail(env, "PACKET_ADD_MEMBERSHIP(PROMISC)", errno); return; }
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd_, SIOCGIFHWADDR, &ifr) != 0) { Fail(env, "SIOCGIFHWADDR(" + device + ")", errno); return; }
    hwType_ = ifr.ifr_hwaddr.sa_family;
    if (outgoing_ && hwType_ != ARPHRD_LOOPBACK) maxPacketType_ = PACKET_OUTGOING;
  }

  ~Socket() override {
    // A finalizer may not call into JS: the ring stays mapped until its ArrayBuffer is collected.
    StopPolling();
    CloseFd();
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) {
      Napi::Error::New(env, "Socket: closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (poll_ != nullptr) return env.Undefined();
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    if (uv_poll_init(loop, poll_, fd_) != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, "Socket: uv_poll_init failed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, &Socket::OnReadable);
    // Held while polling so GC cannot finalize a socket the loop still calls into.
    Ref();
    return env.Undefined();
  }

  // Unbind (close), unmap; idempotent. Callable from inside onBatch: Drain checks before it goes on.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Ring_(const Napi::CallbackInfo& info) {
    if (ringRef_.IsEmpty()) return info.Env().Null();
    return ringRef_.Value();
  }

  // { ifindex, hwType (ARPHRD_*), ignoresOutgoing, fanoutGroup (-1: none), vnetHeader, sendBuffer (bytes, as the kernel reports it) }
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("ifindex", Napi::Number::New(env, ifindex_));
    o.Set("hwType", Napi::Number::New(env, hwType_));
    o.Set("ignoresOutgoing", Napi::Boolean::New(env, ignoresOutgoing_));
    o.Set("fanoutGroup", Napi::Number::New(env, fanoutGroup_));
    o.Set("vnetHeader", Napi::Boolean::New(env, vnet_));
    int sendBuffer = 0;
    socklen_t sendBufferLen = sizeof sendBuffer;
    if (fd_ < 0 || getsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sendBuffer, &sendBufferLen) != 0) sendBuffer = 0;
    o.Set("sendBuffer", Napi::Number::New(env, sendBuffer));
    return o;
  }

  // The kernel zeroes its counters on every read: they are added up here.
  void ReadKernelStats() {
    if (fd_ < 0) return;
    struct tpacket_stats_v3 st;
    memset(&st, 0, sizeof st);
    socklen_t len = sizeof st;
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return;
    packets_ += st.tp_packets;
    drops_ += st.tp_drops;
    freezes_ += st.tp_freeze_q_cnt;
  }

  // [packets, drops, freezes, batches, frames, skipped, sent, sendErrors, lastSendError ('' or an errno name)]
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ReadKernelStats();
    const uint64_t values[] = {packets_, drops_, freezes_, batches_, frames_, skipped_, sent_, sendErrors_};
    const uint32_t n = sizeof values / sizeof values[0];
    Napi::Array a = Napi::Array::New(env, n + 1);
    for (uint32_t i = 0; i < n; i++) a.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
    a.Set(n, Napi::String::New(env, lastSendErrno_ != 0 ? ErrnoName(lastSendErrno_) : ""));
    return a;
  }

  // One frame; on a socket with vnet headers, behind a zeroed one (no offload, checksum complete).
  bool SendOne(const uint8_t* data, size_t length) {
    VnetHeader none;
    memset(&none, 0, sizeof none);
    struct iovec iov[2] = {{&none, sizeof none}, {const_cast<uint8_t*>(data), length}};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = vnet_ ? iov : iov + 1;
    msg.msg_iovlen = vnet_ ? 2 : 1;
    for (;;) {
      ssize_t n = sendmsg(fd_, &msg, MSG_DONTWAIT);
      if (n >= 0) {
        sent_++;
        return true;
      }
      if (errno == EINTR) continue;
      sendErrors_++;
      lastSendErrno_ = errno;
      return false;
    }
  }

  // send(data: Uint8Array, offset, length) → whether the kernel took it. Never throws for the frame.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber()) {
      Napi::TypeError::New(env, "send(data, offset, length)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
    int64_t offset = info[1].As<Napi::Number>().Int64Value();
    int64_t length = info[2].As<Napi::Number>().Int64Value();
    if (fd_ < 0 || offset < 0 || length <= 0 || static_cast<uint64_t>(offset + length) > data.ByteLength()) {
      sendErrors_++;
      lastSendErrno_ = fd_ < 0 ? EBADF : EINVAL;
      return Napi::Boolean::New(env, false);
    }
    return Napi::Boolean::New(env, SendOne(data.Data() + offset, static_cast<size_t>(length)));
  }

  // sendBatch(data: Uint8Array, frames: Int32Array of [offset, length] pairs, count) → frames the
  // kernel took. A frame out of bounds or refused is counted and skipped; the rest still go. On a
  // socket with vnet headers each pair starts at the frame's virtio_net_hdr (the ring's, in front).
  Napi::Value SendBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber()) {
      Napi::TypeError::New(env, "sendBatch(data, frames, count)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
    Napi::TypedArray framesArray = info[1].As<Napi::TypedArray>();
    if (framesArray.TypedArrayType() != napi_int32_array) {
      Napi::TypeError::New(env, "sendBatch: frames must be an Int32Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Int32Array frames = framesArray.As<Napi::Int32Array>();
    int64_t requested = info[2].As<Napi::Number>().Int64Value();
    if (requested <= 0) return Napi::Number::New(env, 0);
    uint64_t count = static_cast<uint64_t>(requested);
    if (count > frames.ElementLength() / kSendStride) {
      // The frames past the array's end do not exist: each one counts as not sent.
      sendErrors_ += count - frames.ElementLength() / kSendStride;
      lastSendErrno_ = EINVAL;
      count = frames.ElementLength() / kSendStride;
    }
    if (fd_ < 0) {
      sendErrors_ += count;
      lastSendErrno_ = EBADF;
      return Napi::Number::New(env, 0);
    }
    uint8_t* base = data.Data();
    const uint64_t size = data.ByteLength();
    const int32_t* f = frames.Data();
    uint64_t sentBefore = sent_;
    uint64_t i = 0;
    while (i < count) {
      unsigned int n = 0;
      for (; i < count && n < kSendChunk; i++) {
        int32_t offset = f[i * kSendStride];
        int32_t length = f[i * kSendStride + 1];
        if (offset < 0 || length <= 0 || static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) > size) {
          sendErrors_++;
          lastSendErrno_ = EINVAL;
          continue;
        }
        iov_[n].iov_base = base + offset;
        iov_[n].iov_len = static_cast<size_t>(length);
        memset(&msgs_[n], 0, sizeof msgs_[n]);
        msgs_[n].msg_hdr.msg_iov = &iov_[n];
        msgs_[n].msg_hdr.msg_iovlen = 1;
        n++;
      }
      unsigned int done = 0;
      while (done < n) {
        int r = sendmmsg(fd_, msgs_ + done, n - done, MSG_DONTWAIT);
        if (r < 0) {
          if (errno == EINTR) continue;
          // The first message of this call was refused: count it and go on with the next.
          sendErrors_++;
          lastSendErrno_ = errno;
          done++;
          continue;
        }
        sent_ += static_cast<uint64_t>(r);
        done += static_cast<unsigned int>(r);
      }
    }
    return Napi::Number::New(env, static_cast<double>(sent_ - sentBefore));
  }

  void Fail(Napi::Env env, const std::string& what, int err) {
    Shutdown();
    Napi::Error e = Napi::Error::New(env, ErrnoText(what, err));
    e.Set("code", Napi::String::New(env, ErrnoName(err)));
    e.Set("errno", Napi::Number::New(env, err));
    e.ThrowAsJavaScriptException();
  }

  void StopPolling() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    Unref();
  }

  void CloseFd() {
    if (fd_ < 0) return;
    close(fd_);
    fd_ = -1;
  }

  void Shutdown() {
    StopPolling();
    ReadKernelStats();
    if (!ringRef_.IsEmpty()) {
      // Views kept in JS become empty before the pages go.
      ringRef_.Value().Detach();
      ringRef_.Reset();
    }
    if (ring_ != nullptr) ring_->Unmap();
    ring_ = nullptr;  // the ArrayBuffer's finalizer frees the struct
    CloseFd();
  }

  static void OnReadable(uv_poll_t* handle, int status, int) {
    Socket* s = static_cast<Socket*>(handle->data);
    if (status < 0 || s->fd_ < 0) return;
    s->Drain();
  }

  struct tpacket_block_desc* Block(uint32_t index) const {
    return reinterpret_cast<struct tpacket_block_desc*>(ring_->base + static_cast<size_t>(index) * blockSize_);
  }

  // Hands each retired block to JS, then back to the kernel.
  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (int round = 0; round < kBlocksPerWakeup && fd_ >= 0; round++) {
      struct tpacket_block_desc* bd = Block(current_);
      uint32_t status = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
      if ((status & TP_STATUS_USER) == 0) return;
      if (!ReadBlock(env, bd)) return;  // closed from inside the callback
      __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      current_ = (current_ + 1) % blockCount_;
    }
  }

  // Fills meta with the block's frames that came in (packet types host, broadcast, multicast,
  // otherhost; and outgoing when asked) and calls JS, as often as the meta array needs. False when closed meanwhile.
  bool ReadBlock(Napi::Env env, struct tpacket_block_desc* bd) {
    const size_t blockStart = reinterpret_cast<uint8_t*>(bd) - ring_->base;
    const uint32_t frames = bd->hdr.bh1.num_pkts;
    uint32_t offset = bd->hdr.bh1.offset_to_first_pkt;
    uint32_t count = 0;
    for (uint32_t k = 0; k < frames; k++) {
      if (offset < sizeof(struct tpacket_block_desc) || offset + sizeof(struct tpacket3_hdr) > blockSize_) break;
      auto* hdr = reinterpret_cast<struct tpacket3_hdr*>(reinterpret_cast<uint8_t*>(bd) + offset);
      auto* sll = reinterpret_cast<const struct sockaddr_ll*>(reinterpret_cast<uint8_t*>(hdr) + kSllOffset);
      const uint32_t next = hdr->tp_next_offset;
      if (sll->sll_pkttype > maxPacketType_ || hdr->tp_mac + hdr->tp_snaplen > blockSize_ - offset) {
        skipped_++;
      } else {
        int32_t* m = meta_ + count * kMetaStride;
        uint32_t mac = hdr->tp_mac;
        uint32_t length = hdr->tp_snaplen;
        uint32_t wire = hdr->tp_len;
        int32_t flags = length < wire ? kFlagTruncated : 0;
        if ((hdr->tp_status & TP_STATUS_VLAN_VALID) != 0) {
          // The kernel took the 802.1Q tag off (VLAN offload): put it back between the MAC
          // addresses and the EtherType, in the gap before the frame (and its vnet header, which
          // moves with it), or the bridge would untag it.
          const uint32_t before = vnet_ ? kVnetHeaderLength : 0;
          if (mac >= kSllOffset + sizeof(struct sockaddr_ll) + before + 4 && length >= 12) {
            uint8_t* p = reinterpret_cast<uint8_t*>(hdr) + mac;
            memmove(p - before - 4, p - before, before + 12);
            if (vnet_) ShiftVnetHeader(p - 4 - kVnetHeaderLength, 4);
            uint16_t tpid = (hdr->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? hdr->hv1.tp_vlan_tpid : ETH_P_8021Q;
            p[8] = static_cast<uint8_t>(tpid >> 8);
            p[9] = static_cast<uint8_t>(tpid);
            p[10] = static_cast<uint8_t>(hdr->hv1.tp_vlan_tci >> 8);
            p[11] = static_cast<uint8_t>(hdr->hv1.tp_vlan_tci);
            mac -= 4;
            length += 4;
            wire += 4;
          } else {
            flags |= kFlagTruncated;  // cannot be forwarded whole: fail closed
          }
        }
        m[0] = static_cast<int32_t>(blockStart + offset + mac);
        m[1] = static_cast<int32_t>(length);
        m[2] = static_cast<int32_t>(wire);
        m[3] = flags;
        frames_++;
        if (++count == metaFrames_) {
          if (!Flush(env, count)) return false;
          count = 0;
        }
      }
      if (next == 0) break;
      offset += next;
    }
    return count == 0 || Flush(env, count);
  }

  // The header's offsets count from the frame's first byte: 4 more once a VLAN tag is back in it
  // (the kernel wrote them for the frame without its tag). Byte by byte: the header is unaligned.
  static void ShiftVnetHeader(uint8_t* h, uint16_t by) {
    VnetHeader v;
    memcpy(&v, h, sizeof v);
    if (v.hdrLen != 0) v.hdrLen = static_cast<uint16_t>(v.hdrLen + by);
    if ((v.flags & kVnetNeedsCsum) != 0) v.csumStart = static_cast<uint16_t>(v.csumStart + by);
    memcpy(h, &v, sizeof v);
  }

  bool Flush(Napi::Env env, uint32_t count) {
    batches_++;
    onBatch_.MakeCallback(Value(), {Napi::Number::New(env, count)});
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
    return fd_ >= 0 && ring_ != nullptr;
  }

  int fd_ = -1;
  int ifindex_ = 0;
  int hwType_ = -1;
  bool ignoresOutgoing_ = false;
  int32_t fanoutGroup_ = -1;
  uint32_t blockSize_ = 0;
  uint32_t blockCount_ = 0;
  uint32_t current_ = 0;
  Ring* ring_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  int32_t* meta_ = nullptr;
  uint32_t metaFrames_ = 0;
  uint64_t packets_ = 0, drops_ = 0, freezes_ = 0;
  uint64_t batches_ = 0, frames_ = 0, skipped_ = 0, sent_ = 0, sendErrors_ = 0;
  bool outgoing_ = false;
  bool vnet_ = false;
  // The last sll_pkttype handed to JS: PACKET_OTHERHOST (incoming only) or, with outgoing_,
  // PACKET_OUTGOING, except on loopback, where each outgoing frame comes back in (libpcap skips it too).
  unsigned char maxPacketType_ = PACKET_OTHERHOST;
  int lastSendErrno_ = 0;
  Napi::Reference<Napi::ArrayBuffer> metaRef_, ringRef_;
  Napi::FunctionReference onBatch_;
  struct mmsghdr msgs_[kSendChunk];
  struct iovec iov_[kSendChunk];
};

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Socket", Socket::Init(env));
  exports.Set("META_STRIDE", Napi::Number::New(env, kMetaStride));
  exports.Set("SEND_STRIDE", Napi::Number::New(env, kSendStride));
  exports.Set("VNET_HEADER_LENGTH", Napi::Number::New(env, kVnetHeaderLength));
  return exports;
}

}  // namespace

NODE_API_MODULE(afpacket, InitModule)
