;; The established path of the pipeline in one WebAssembly module (issue 18 item 4, a prototype):
;; decode of the 5-tuple, key, hash, probe and update over the conntrack records, which live at
;; the start of the instance's memory (the table's own layout, src/conntrack/record-layout.ts),
;; with a control area after them; bench/pipeline-wasm.mjs drives it. Each step mirrors the JS it
;; stands for (decodeFrame, ScratchKey's keyFlow/keyIcmpQuery and hash, FlowEndpoints' findFlow and
;; findPartner, the table's update, tcpNextState, timeoutOf, expireAfter, the dataplane's judgeOn).
;; Frames it cannot finish (a miss, an expired entry met on the way, an entry that stays
;; unassured, a record of an older address-map generation, a TCP restart, fragments, IPv6
;; extension headers, ICMP other than echo, anything unusual) are left for the JS path untouched:
;; nothing is written before every check has passed. Ethernet frames only (JS copies no others).
;;
;; Control area (byte offsets from $ctrl):
;;   0     16 staged headers, 128 bytes each (the first SPAN bytes of each frame, copied by JS)
;;   2048  16 slot records, 64 bytes each: 0 captured length, 4 wire length, 8 home (-1: JS),
;;         12 info, 16 ports, 20 hash, 24 sender is A, 28 TCP flags, 32 A (4 words), 48 B
;;   3072  out: 0 source interface, 4 destination interface (of the last frame judged here),
;;         8 the least expiry written (f64), 16 frames judged here (tracked)
;;   3200  the staged frames' times (f64 ms)
;;   4096  per source bucket: unassured entries (i32; the table's `unanswered`, 4096 of them)
;;   20480 per interface: TCP established, UDP, UDP stream timeouts (f64 ms, 24 bytes)
;;   118784 per interface: frames allowed here (f64)
(module
  (memory (import "env" "memory") 1)
  (global $ctrl (mut i32) (i32.const 0))
  (global $slotMask (mut i32) (i32.const 0))
  (global $homeMask (mut i32) (i32.const 0))
  (global $seed (mut i32) (i32.const 0))
  (global $generation (mut i32) (i32.const 0))
  (global $touched (mut i32) (i32.const 0))

  (func (export "configure") (param $c i32) (param $sm i32) (param $hm i32) (param $seed i32) (param $gen i32)
    (global.set $ctrl (local.get $c))
    (global.set $slotMask (local.get $sm))
    (global.set $homeMask (local.get $hm))
    (global.set $seed (local.get $seed))
    (global.set $generation (local.get $gen)))

  (func (export "setGeneration") (param $gen i32) (global.set $generation (local.get $gen)))

  (func $be16 (param $p i32) (result i32)
    (i32.or (i32.shl (i32.load8_u (local.get $p)) (i32.const 8)) (i32.load8_u offset=1 (local.get $p))))

  (func $be32 (param $p i32) (result i32) (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (i32.or
      (i32.or (i32.shl (local.get $x) (i32.const 24)) (i32.shl (i32.and (local.get $x) (i32.const 0xff00)) (i32.const 8)))
      (i32.or (i32.and (i32.shr_u (local.get $x) (i32.const 8)) (i32.const 0xff00)) (i32.shr_u (local.get $x) (i32.const 24)))))

  (func $hashWord (param $h i32) (param $k i32) (result i32)
    (local.set $k (i32.mul (local.get $k) (i32.const 0xcc9e2d51)))
    (local.set $k (i32.rotl (local.get $k) (i32.const 15)))
    (local.set $k (i32.mul (local.get $k) (i32.const 0x1b873593)))
    (local.set $h (i32.xor (local.get $h) (local.get $k)))
    (local.set $h (i32.rotl (local.get $h) (i32.const 13)))
    (i32.add (i32.mul (local.get $h) (i32.const 5)) (i32.const 0xe6546b64)))

  (func $hashFinish (param $h i32) (param $n i32) (result i32)
    (local.set $h (i32.xor (local.get $h) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))

  ;; Decodes and keys staged slot $j as decodeFrame + keyFlow/keyIcmpQuery would (Ethernet link
  ;; type); writes the key into its slot record and returns its home slot, or -1 for the JS path.
  (func $key (param $j i32) (result i32)
    (local $h i32) (local $m i32) (local $len i32) (local $have i32) (local $cut i32)
    (local $o i32) (local $type i32) (local $ver i32) (local $ihl i32) (local $total i32)
    (local $proto i32) (local $up i32) (local $ipEnd i32) (local $hl i32)
    (local $sp i32) (local $dp i32) (local $flags i32) (local $t i32) (local $req i32)
    (local $srcIsA i32) (local $order i32) (local $k i32) (local $sa i32) (local $da i32)
    (local $info i32) (local $ports i32) (local $hash i32) (local $words i32) (local $icmp i32)
    (local.set $h (i32.add (global.get $ctrl) (i32.shl (local.get $j) (i32.const 7))))
    (local.set $m (i32.add (i32.add (global.get $ctrl) (i32.const 2048)) (i32.shl (local.get $j) (i32.const 6))))
    (local.set $len (i32.load (local.get $m)))
    (local.set $cut (i32.gt_s (i32.load offset=4 (local.get $m)) (local.get $len)))
    (local.set $have (select (local.get $len) (i32.const 80) (i32.lt_s (local.get $len) (i32.const 80))))
    (if (i32.lt_s (local.get $have) (i32.const 14)) (then (return (i32.const -1))))
    (local.set $o (i32.const 14))
    (local.set $type (call $be16 (i32.add (local.get $h) (i32.const 12))))
    ;; VLAN tags, any depth while they fit in the copied span
    (block $tags (loop $tag
      (br_if $tags (i32.eqz (i32.or (i32.eq (local.get $type) (i32.const 0x8100))
        (i32.or (i32.eq (local.get $type) (i32.const 0x88a8)) (i32.eq (local.get $type) (i32.const 0x9100))))))
      (if (i32.gt_s (i32.add (local.get $o) (i32.const 4)) (local.get $have)) (then (return (i32.const -1))))
      (local.set $type (call $be16 (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 2)))))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $tag)))
    (if (i32.eq (local.get $type) (i32.const 0x0800))
      (then
        (local.set $ver (i32.const 4))
        (if (i32.gt_s (i32.add (local.get $o) (i32.const 20)) (local.get $have)) (then (return (i32.const -1))))
        (local.set $t (i32.load8_u (i32.add (local.get $h) (local.get $o))))
        (if (i32.ne (i32.shr_u (local.get $t) (i32.const 4)) (i32.const 4)) (then (return (i32.const -1))))
        (local.set $ihl (i32.shl (i32.and (local.get $t) (i32.const 15)) (i32.const 2)))
        (if (i32.lt_u (local.get $ihl) (i32.const 20)) (then (return (i32.const -1))))
        (local.set $total (call $be16 (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 2)))))
        (if (i32.lt_u (local.get $total) (local.get $ihl)) (then (return (i32.const -1))))
        (if (i32.and (i32.gt_s (i32.add (local.get $o) (local.get $total)) (local.get $len)) (i32.eqz (local.get $cut)))
          (then (return (i32.const -1))))
        ;; a fragment (MF or an offset): the JS path remembers or asks for its datagram's verdict
        (if (i32.and (call $be16 (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 6)))) (i32.const 0x3fff))
          (then (return (i32.const -1))))
        (local.set $proto (i32.load8_u offset=9 (i32.add (local.get $h) (local.get $o))))
        (local.set $sa (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 12))))
        (local.set $da (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 16))))
        (local.set $up (i32.add (local.get $o) (local.get $ihl))))
      (else
        (if (i32.ne (local.get $type) (i32.const 0x86dd)) (then (return (i32.const -1))))
        (local.set $ver (i32.const 6))
        (if (i32.gt_s (i32.add (local.get $o) (i32.const 40)) (local.get $have)) (then (return (i32.const -1))))
        (if (i32.ne (i32.shr_u (i32.load8_u (i32.add (local.get $h) (local.get $o))) (i32.const 4)) (i32.const 6))
          (then (return (i32.const -1))))
        (local.set $total (i32.add (i32.const 40) (call $be16 (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 4))))))
        (if (i32.and (i32.gt_s (i32.add (local.get $o) (local.get $total)) (local.get $len)) (i32.eqz (local.get $cut)))
          (then (return (i32.const -1))))
        (local.set $proto (i32.load8_u offset=6 (i32.add (local.get $h) (local.get $o))))
        ;; extension headers (hop-by-hop, routing, fragment, AH, destination): the JS path walks them
        (if (i32.or (i32.or (i32.eqz (local.get $proto)) (i32.eq (local.get $proto) (i32.const 43)))
              (i32.or (i32.or (i32.eq (local.get $proto) (i32.const 44)) (i32.eq (local.get $proto) (i32.const 51)))
                (i32.eq (local.get $proto) (i32.const 60))))
          (then (return (i32.const -1))))
        (local.set $sa (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 8))))
        (local.set $da (i32.add (local.get $h) (i32.add (local.get $o) (i32.const 24))))
        (local.set $up (i32.add (local.get $o) (i32.const 40)))))
    (local.set $ipEnd (i32.add (local.get $o) (local.get $total)))
    (if (i32.gt_s (local.get $ipEnd) (local.get $len)) (then (local.set $ipEnd (local.get $len))))
    (local.set $t (i32.add (local.get $h) (local.get $up)))
    (block $l4
      (if (i32.eq (local.get $proto) (i32.const 6))
        (then
          (if (i32.lt_s (i32.sub (local.get $ipEnd) (local.get $up)) (i32.const 20)) (then (return (i32.const -1))))
          (if (i32.gt_s (i32.add (local.get $up) (i32.const 14)) (local.get $have)) (then (return (i32.const -1))))
          (local.set $hl (i32.shl (i32.shr_u (i32.load8_u offset=12 (local.get $t)) (i32.const 4)) (i32.const 2)))
          (if (i32.or (i32.lt_u (local.get $hl) (i32.const 20)) (i32.gt_s (i32.add (local.get $up) (local.get $hl)) (local.get $ipEnd)))
            (then (return (i32.const -1))))
          (local.set $sp (call $be16 (local.get $t)))
          (local.set $dp (call $be16 (i32.add (local.get $t) (i32.const 2))))
          (local.set $flags (i32.and (i32.load8_u offset=13 (local.get $t)) (i32.const 0x3f)))
          (br $l4)))
      (if (i32.eq (local.get $proto) (i32.const 17))
        (then
          (if (i32.lt_s (i32.sub (local.get $ipEnd) (local.get $up)) (i32.const 8)) (then (return (i32.const -1))))
          (if (i32.gt_s (i32.add (local.get $up) (i32.const 8)) (local.get $have)) (then (return (i32.const -1))))
          (local.set $k (call $be16 (i32.add (local.get $t) (i32.const 4))))
          (if (i32.lt_u (local.get $k) (i32.const 8)) (then (return (i32.const -1))))
          (if (i32.and (i32.gt_s (i32.add (local.get $up) (local.get $k)) (local.get $ipEnd)) (i32.eqz (local.get $cut)))
            (then (return (i32.const -1))))
          (local.set $sp (call $be16 (local.get $t)))
          (local.set $dp (call $be16 (i32.add (local.get $t) (i32.const 2))))
          (br $l4)))
      (if (i32.or (i32.and (i32.eq (local.get $ver) (i32.const 4)) (i32.eq (local.get $proto) (i32.const 1)))
                  (i32.and (i32.eq (local.get $ver) (i32.const 6)) (i32.eq (local.get $proto) (i32.const 58))))
        (then
          ;; echo request and reply only (v4 8/0, v6 128/129); every other message goes to JS
          (if (i32.lt_s (i32.sub (local.get $ipEnd) (local.get $up)) (i32.const 8)) (then (return (i32.const -1))))
          (if (i32.gt_s (i32.add (local.get $up) (i32.const 8)) (local.get $have)) (then (return (i32.const -1))))
          (local.set $k (i32.load8_u (local.get $t)))
          (local.set $req (select (i32.const 128) (i32.const 8) (i32.eq (local.get $ver) (i32.const 6))))
          (if (i32.and (i32.ne (local.get $k) (local.get $req))
                (i32.ne (local.get $k) (select (i32.const 129) (i32.const 0) (i32.eq (local.get $ver) (i32.const 6)))))
            (then (return (i32.const -1))))
          ;; A is the requester; ports: identifier, request type
          (local.set $srcIsA (i32.eq (local.get $k) (local.get $req)))
          (local.set $sp (call $be16 (i32.add (local.get $t) (i32.const 4))))
          (local.set $dp (local.get $req))
          (local.set $flags (i32.const -1))
          (br $l4)))
      ;; another protocol: the address pair and protocol number, no ports
      (local.set $sp (i32.const 0))
      (local.set $dp (i32.const 0)))
    (local.set $words (select (i32.const 1) (i32.const 4) (i32.eq (local.get $ver) (i32.const 4))))
    (local.set $icmp (i32.eq (local.get $flags) (i32.const -1)))
    (if (i32.eqz (local.get $icmp))
      (then
        ;; endpoints ordered: address words (unsigned), then port; the lower is A
        (local.set $order (i32.const 0))
        (local.set $k (i32.const 0))
        (block $done (loop $cmp
          (br_if $done (i32.ge_u (local.get $k) (local.get $words)))
          (local.set $t (call $be32 (i32.add (local.get $sa) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $hl (call $be32 (i32.add (local.get $da) (i32.shl (local.get $k) (i32.const 2)))))
          (if (i32.ne (local.get $t) (local.get $hl))
            (then (local.set $order (select (i32.const -1) (i32.const 1) (i32.lt_u (local.get $t) (local.get $hl)))) (br $done)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $cmp)))
        (if (i32.eqz (local.get $order)) (then (local.set $order (i32.sub (local.get $sp) (local.get $dp)))))
        (local.set $srcIsA (i32.le_s (local.get $order) (i32.const 0))))
      (else (local.set $flags (i32.const 0))))
    ;; the key: A and B (v4: word 0, the rest 0), info, ports, hash
    (if (i32.eqz (local.get $srcIsA))
      (then
        (local.set $t (local.get $sa)) (local.set $sa (local.get $da)) (local.set $da (local.get $t))
        ;; an ICMP query's ports are its identifier and request type whichever way it goes
        (if (i32.eqz (local.get $icmp))
          (then (local.set $t (local.get $sp)) (local.set $sp (local.get $dp)) (local.set $dp (local.get $t))))))
    (if (i32.eq (local.get $ver) (i32.const 4))
      (then
        (i32.store offset=32 (local.get $m) (call $be32 (local.get $sa)))
        (i64.store offset=36 (local.get $m) (i64.const 0))
        (i32.store offset=44 (local.get $m) (i32.const 0))
        (i32.store offset=48 (local.get $m) (call $be32 (local.get $da)))
        (i64.store offset=52 (local.get $m) (i64.const 0))
        (i32.store offset=60 (local.get $m) (i32.const 0)))
      (else
        (i32.store offset=32 (local.get $m) (call $be32 (local.get $sa)))
        (i32.store offset=36 (local.get $m) (call $be32 (i32.add (local.get $sa) (i32.const 4))))
        (i32.store offset=40 (local.get $m) (call $be32 (i32.add (local.get $sa) (i32.const 8))))
        (i32.store offset=44 (local.get $m) (call $be32 (i32.add (local.get $sa) (i32.const 12))))
        (i32.store offset=48 (local.get $m) (call $be32 (local.get $da)))
        (i32.store offset=52 (local.get $m) (call $be32 (i32.add (local.get $da) (i32.const 4))))
        (i32.store offset=56 (local.get $m) (call $be32 (i32.add (local.get $da) (i32.const 8))))
        (i32.store offset=60 (local.get $m) (call $be32 (i32.add (local.get $da) (i32.const 12))))))
    (local.set $info (i32.or (i32.shl (local.get $proto) (i32.const 8)) (local.get $ver)))
    (local.set $ports (i32.or (i32.shl (i32.and (local.get $sp) (i32.const 0xffff)) (i32.const 16)) (i32.and (local.get $dp) (i32.const 0xffff))))
    (local.set $hash (call $hashWord (global.get $seed) (local.get $info)))
    (local.set $hash (call $hashWord (local.get $hash) (local.get $ports)))
    (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=32 (local.get $m))))
    (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=48 (local.get $m))))
    (if (i32.eq (local.get $ver) (i32.const 6))
      (then
        (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=36 (local.get $m))))
        (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=40 (local.get $m))))
        (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=44 (local.get $m))))
        (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=52 (local.get $m))))
        (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=56 (local.get $m))))
        (local.set $hash (call $hashWord (local.get $hash) (i32.load offset=60 (local.get $m))))))
    (local.set $hash (call $hashFinish (local.get $hash) (select (i32.const 10) (i32.const 4) (i32.eq (local.get $ver) (i32.const 6)))))
    (i32.store offset=12 (local.get $m) (local.get $info))
    (i32.store offset=16 (local.get $m) (local.get $ports))
    (i32.store offset=20 (local.get $m) (local.get $hash))
    (i32.store offset=24 (local.get $m) (local.get $srcIsA))
    (i32.store offset=28 (local.get $m) (local.get $flags))
    (i32.and (local.get $hash) (global.get $homeMask)))

  ;; Keys staged slots [0, count), then reads their home records and the next ones (the loads
  ;; independent, so their cache misses overlap).
  (func (export "stage") (param $count i32) (local $j i32) (local $m i32) (local $home i32) (local $acc i32)
    (block $end (loop $each
      (br_if $end (i32.ge_u (local.get $j) (local.get $count)))
      (local.set $m (i32.add (i32.add (global.get $ctrl) (i32.const 2048)) (i32.shl (local.get $j) (i32.const 6))))
      (i32.store offset=8 (local.get $m) (call $key (local.get $j)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (local.set $j (i32.const 0))
    (block $end2 (loop $each2
      (br_if $end2 (i32.ge_u (local.get $j) (local.get $count)))
      (local.set $home (i32.load offset=2056 (i32.add (global.get $ctrl) (i32.shl (local.get $j) (i32.const 6)))))
      (if (i32.ge_s (local.get $home) (i32.const 0))
        (then (local.set $acc (i32.xor (local.get $acc)
          (i32.xor (i32.load offset=52 (i32.shl (local.get $home) (i32.const 6)))
                   (i32.load offset=52 (i32.shl (i32.and (i32.add (local.get $home) (i32.const 1)) (global.get $slotMask)) (i32.const 6))))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each2)))
    (global.set $touched (i32.xor (global.get $touched) (local.get $acc))))

  ;; Does the record at byte $r hold slot record $m's endpoints (ports and addresses)?
  (func $sameEndpoints (param $r i32) (param $m i32) (result i32)
    (i32.and
      (i32.and (i32.eq (i32.load offset=8 (local.get $r)) (i32.load offset=16 (local.get $m)))
               (i64.eq (i64.load offset=16 (local.get $r)) (i64.load offset=32 (local.get $m))))
      (i32.and
        (i32.and (i64.eq (i64.load offset=24 (local.get $r)) (i64.load offset=40 (local.get $m)))
                 (i64.eq (i64.load offset=32 (local.get $r)) (i64.load offset=48 (local.get $m))))
        (i64.eq (i64.load offset=40 (local.get $r)) (i64.load offset=56 (local.get $m))))))

  ;; tcpNextState (tcp-state.ts)
  (func $tcpNext (param $s i32) (param $f i32) (param $fromOrig i32) (result i32)
    (local $syn i32) (local $ack i32) (local $fin i32)
    (if (i32.and (local.get $f) (i32.const 4)) (then (return (i32.const 8))))
    (local.set $syn (i32.ne (i32.and (local.get $f) (i32.const 2)) (i32.const 0)))
    (local.set $ack (i32.ne (i32.and (local.get $f) (i32.const 16)) (i32.const 0)))
    (local.set $fin (i32.ne (i32.and (local.get $f) (i32.const 1)) (i32.const 0)))
    (block $default (block $tw (block $closing (block $fwr (block $fwo (block $est (block $recv (block $sent
      (br_table $default $sent $recv $est $fwo $fwr $closing $tw $tw $default (local.get $s)))
      ;; SYN_SENT
      (if (local.get $fromOrig) (then (return (local.get $s))))
      (return (select (i32.const 2) (i32.const 3) (local.get $syn))))
      ;; SYN_RECV
      (if (i32.or (local.get $syn) (i32.eqz (local.get $ack))) (then (return (local.get $s))))
      (if (local.get $fin) (then (return (select (i32.const 4) (i32.const 5) (local.get $fromOrig)))))
      (return (i32.const 3)))
      ;; ESTABLISHED
      (if (i32.eqz (local.get $fin)) (then (return (local.get $s))))
      (return (select (i32.const 4) (i32.const 5) (local.get $fromOrig))))
      ;; FIN_WAIT_ORIGINATOR
      (return (select (i32.const 6) (local.get $s) (i32.and (local.get $fin) (i32.eqz (local.get $fromOrig))))))
      ;; FIN_WAIT_RESPONDER
      (return (select (i32.const 6) (local.get $s) (i32.and (local.get $fin) (local.get $fromOrig)))))
      ;; CLOSING
      (return (select (i32.const 7) (local.get $s) (i32.and (local.get $ack) (i32.eqz (local.get $fin))))))
      ;; TIME_WAIT, CLOSED
      (return (select (i32.const 1) (local.get $s) (i32.and (local.get $syn) (i32.eqz (local.get $ack))))))
    (local.get $s))

  ;; Can record $r take this frame's update here? Its endpoints current, no TCP restart, and
  ;; assured or assured by this frame (an unassured entry that stays so may have its timeout cut
  ;; under pressure, which the JS path decides).
  (func $updatable (param $r i32) (param $m i32) (result i32) (local $f i32) (local $fromOrig i32) (local $before i32) (local $after i32) (local $tcp i32)
    (local.set $f (i32.load offset=52 (local.get $r)))
    (if (i32.ne (i32.shr_u (local.get $f) (i32.const 8)) (global.get $generation)) (then (return (i32.const 0))))
    (local.set $fromOrig (i32.eq (i32.load offset=24 (local.get $m)) (i32.ne (i32.and (local.get $f) (i32.const 2)) (i32.const 0))))
    (local.set $tcp (i32.eq (i32.and (i32.shr_u (i32.load offset=4 (local.get $r)) (i32.const 8)) (i32.const 0xff)) (i32.const 6)))
    (if (local.get $tcp)
      (then
        (local.set $before (i32.load offset=48 (local.get $r)))
        (local.set $after (call $tcpNext (local.get $before) (i32.load offset=28 (local.get $m)) (local.get $fromOrig)))
        (if (i32.and (i32.eq (local.get $after) (i32.const 1)) (i32.ne (local.get $before) (i32.const 1))) (then (return (i32.const 0))))))
    (if (i32.and (local.get $f) (i32.const 16)) (then (return (i32.const 1))))
    ;; unassured: assured now when a reply was seen (this frame or before), TCP past the handshake
    (if (i32.and (i32.eqz (i32.and (local.get $f) (i32.const 4))) (local.get $fromOrig)) (then (return (i32.const 0))))
    (if (local.get $tcp)
      (then (return (i32.and (i32.ge_u (local.get $after) (i32.const 3)) (i32.le_u (local.get $after) (i32.const 7))))))
    (i32.const 1))

  ;; update() of an assured record (conntrack-table.ts): state, then the timer at $now.
  (func $update (param $r i32) (param $m i32) (param $now f64) (local $f i32) (local $info i32) (local $proto i32)
    (local $fromOrig i32) (local $state i32) (local $t i32) (local $timeout f64) (local $exp f64)
    (local.set $f (i32.load offset=52 (local.get $r)))
    (local.set $info (i32.load offset=4 (local.get $r)))
    (local.set $proto (i32.and (i32.shr_u (local.get $info) (i32.const 8)) (i32.const 0xff)))
    (local.set $fromOrig (i32.eq (i32.load offset=24 (local.get $m)) (i32.ne (i32.and (local.get $f) (i32.const 2)) (i32.const 0))))
    (if (i32.eqz (local.get $fromOrig)) (then (local.set $f (i32.or (local.get $f) (i32.const 4)))))
    (local.set $state (i32.load offset=48 (local.get $r)))
    ;; the interface's timeouts
    (local.set $t (i32.add (i32.add (global.get $ctrl) (i32.const 20480)) (i32.mul (i32.shr_u (local.get $info) (i32.const 16)) (i32.const 24))))
    (if (i32.eq (local.get $proto) (i32.const 6))
      (then
        (local.set $state (call $tcpNext (local.get $state) (i32.load offset=28 (local.get $m)) (local.get $fromOrig)))
        (i32.store offset=48 (local.get $r) (local.get $state))
        (block $tm (block $closed (block $tw (block $closing (block $fw (block $est (block $recv (block $sent
          (br_table $closed $sent $recv $est $fw $fw $closing $tw $closed (local.get $state)))
          (local.set $timeout (f64.const 120000)) (br $tm))
          (local.set $timeout (f64.const 60000)) (br $tm))
          (local.set $timeout (f64.load (local.get $t))) (br $tm))
          (local.set $timeout (f64.const 120000)) (br $tm))
          (local.set $timeout (f64.const 60000)) (br $tm))
          (local.set $timeout (f64.const 120000)) (br $tm))
          (local.set $timeout (f64.const 10000))))
      (else (if (i32.eq (local.get $proto) (i32.const 17))
        (then
          (if (i32.ne (local.get $fromOrig) (i32.ne (i32.and (local.get $f) (i32.const 8)) (i32.const 0)))
            (then
              (if (i32.lt_s (local.get $state) (i32.const 3))
                (then (local.set $state (i32.add (local.get $state) (i32.const 1))) (i32.store offset=48 (local.get $r) (local.get $state))))
              (local.set $f (i32.xor (local.get $f) (i32.const 8)))))
          (local.set $timeout (select (f64.load offset=16 (local.get $t)) (f64.load offset=8 (local.get $t)) (i32.ge_s (local.get $state) (i32.const 3)))))
        (else
          ;; portless: ICMP queries 60 s, any other protocol 600 s
          (local.set $timeout (select (f64.const 60000) (f64.const 600000)
            (select (i32.eq (local.get $proto) (i32.const 58)) (i32.eq (local.get $proto) (i32.const 1))
              (i32.eq (i32.and (local.get $info) (i32.const 0xff)) (i32.const 6)))))))))
    (if (i32.eqz (i32.and (local.get $f) (i32.const 16)))
      (then
        ;; assured now ($updatable said so): out of its source's unanswered count
        (local.set $f (i32.and (i32.or (local.get $f) (i32.const 16)) (i32.const -33)))
        (local.set $t (i32.add (i32.add (global.get $ctrl) (i32.const 4096))
          (i32.shl (i32.and (i32.load offset=12 (local.get $r)) (i32.const 0xfff)) (i32.const 2))))
        (i32.store (local.get $t) (i32.sub (i32.load (local.get $t)) (i32.const 1)))))
    (i32.store offset=52 (local.get $r) (local.get $f))
    (local.set $exp (f64.add (local.get $now) (local.get $timeout)))
    (f64.store offset=56 (local.get $r) (local.get $exp))
    (local.set $t (i32.add (global.get $ctrl) (i32.const 3072)))
    (if (f64.lt (local.get $exp) (f64.load offset=8 (local.get $t))) (then (f64.store offset=8 (local.get $t) (local.get $exp)))))

  ;; Judges staged slot $j at $now if it is an established flow's frame this path can finish:
  ;; returns 1 (tracked; the interfaces in out) or 0 (the JS path judges it; nothing written).
  (func $judgeOne (export "judge") (param $j i32) (param $now f64) (result i32)
    (local $m i32) (local $hash i32) (local $flow i32) (local $i i32) (local $r i32) (local $f i32)
    (local $own i32) (local $other i32) (local $ifA i32) (local $ifB i32) (local $src i32) (local $dst i32)
    (local $p i32) (local $pr i32) (local $info i32) (local $atSrc i32) (local $atDst i32) (local $out i32)
    (local.set $m (i32.add (i32.add (global.get $ctrl) (i32.const 2048)) (i32.shl (local.get $j) (i32.const 6))))
    (local.set $i (i32.load offset=8 (local.get $m)))
    (if (i32.lt_s (local.get $i) (i32.const 0)) (then (return (i32.const 0))))
    (if (i32.eqz (global.get $generation)) (then (return (i32.const 0))))
    (local.set $hash (i32.load offset=20 (local.get $m)))
    (local.set $flow (i32.load offset=12 (local.get $m)))
    ;; findFlow: the record of the key on any interface
    (block $found (loop $probe
      (local.set $r (i32.shl (local.get $i) (i32.const 6)))
      (local.set $f (i32.load offset=52 (local.get $r)))
      (if (i32.eqz (i32.and (local.get $f) (i32.const 1))) (then (return (i32.const 0))))
      (if (f64.gt (local.get $now) (f64.load offset=56 (local.get $r))) (then (return (i32.const 0))))
      (br_if $found (i32.and (i32.and (i32.eq (i32.load (local.get $r)) (local.get $hash))
        (i32.eq (i32.and (i32.load offset=4 (local.get $r)) (i32.const 0xffff)) (local.get $flow)))
        (call $sameEndpoints (local.get $r) (local.get $m))))
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (global.get $slotMask)))
      (br $probe)))
    (if (i32.ne (i32.shr_u (local.get $f) (i32.const 8)) (global.get $generation)) (then (return (i32.const 0))))
    (local.set $own (i32.shr_u (i32.load offset=4 (local.get $r)) (i32.const 16)))
    (local.set $other (i32.sub (i32.and (i32.shr_u (i32.load offset=12 (local.get $r)) (i32.const 12)) (i32.const 0x1ffff)) (i32.const 1)))
    (local.set $ifA (select (local.get $own) (local.get $other) (i32.and (local.get $f) (i32.const 128))))
    (local.set $ifB (select (local.get $other) (local.get $own) (i32.and (local.get $f) (i32.const 128))))
    (local.set $src (select (local.get $ifA) (local.get $ifB) (i32.load offset=24 (local.get $m))))
    (local.set $dst (select (local.get $ifB) (local.get $ifA) (i32.load offset=24 (local.get $m))))
    ;; findPartner: the flow's record on its other managed end, further along the cluster
    (local.set $pr (i32.const -1))
    (if (i32.and (i32.ge_s (local.get $other) (i32.const 0)) (i32.ne (local.get $other) (local.get $own)))
      (then
        (local.set $info (i32.or (i32.shl (local.get $other) (i32.const 16)) (local.get $flow)))
        (local.set $p (local.get $i))
        (block $foundP
          (block $none (loop $next
            (local.set $p (i32.and (i32.add (local.get $p) (i32.const 1)) (global.get $slotMask)))
            (local.set $pr (i32.shl (local.get $p) (i32.const 6)))
            (br_if $none (i32.eqz (i32.and (i32.load offset=52 (local.get $pr)) (i32.const 1))))
            (br_if $none (f64.gt (local.get $now) (f64.load offset=56 (local.get $pr))))
            (br_if $foundP (i32.and (i32.and (i32.eq (i32.load (local.get $pr)) (local.get $hash)) (i32.eq (i32.load offset=4 (local.get $pr)) (local.get $info)))
              (call $sameEndpoints (local.get $pr) (local.get $m))))
            (br $next)))
          (local.set $pr (i32.const -1)))))
    ;; the dataplane's judgeOn for each managed end: the record found or its partner, else JS
    (local.set $atSrc (i32.const -1))
    (local.set $atDst (i32.const -1))
    (if (i32.eq (local.get $src) (local.get $dst)) (then (return (i32.const 0))))
    (if (i32.ge_s (local.get $src) (i32.const 0))
      (then
        (local.set $atSrc (select (local.get $r) (local.get $pr) (i32.eq (local.get $own) (local.get $src))))
        (if (i32.lt_s (local.get $atSrc) (i32.const 0)) (then (return (i32.const 0))))
        (if (i32.eqz (call $updatable (local.get $atSrc) (local.get $m))) (then (return (i32.const 0))))))
    (if (i32.ge_s (local.get $dst) (i32.const 0))
      (then
        (local.set $atDst (select (local.get $r) (local.get $pr) (i32.eq (local.get $own) (local.get $dst))))
        (if (i32.lt_s (local.get $atDst) (i32.const 0)) (then (return (i32.const 0))))
        (if (i32.eqz (call $updatable (local.get $atDst) (local.get $m))) (then (return (i32.const 0))))))
    (if (i32.ge_s (local.get $atSrc) (i32.const 0)) (then (call $update (local.get $atSrc) (local.get $m) (local.get $now))))
    (if (i32.ge_s (local.get $atDst) (i32.const 0)) (then (call $update (local.get $atDst) (local.get $m) (local.get $now))))
    (local.set $out (i32.add (global.get $ctrl) (i32.const 3072)))
    (i32.store (local.get $out) (local.get $src))
    (i32.store offset=4 (local.get $out) (local.get $dst))
    (i32.const 1))

  ;; Judges staged slots from $first on, each at its time, while this path can finish them (the
  ;; dataplane's counters for each: tracked, and allowed on each managed end). Returns the first
  ;; slot it could not finish ($count when none): the JS path judges that one, then calls again.
  (func (export "judgeRun") (param $first i32) (param $count i32) (result i32)
    (local $j i32) (local $out i32) (local $c i32) (local $x i32)
    (local.set $out (i32.add (global.get $ctrl) (i32.const 3072)))
    (local.set $c (i32.add (global.get $ctrl) (i32.const 118784)))
    (local.set $j (local.get $first))
    (block $stop (loop $each
      (br_if $stop (i32.ge_u (local.get $j) (local.get $count)))
      (br_if $stop (i32.eqz (call $judgeOne (local.get $j)
        (f64.load offset=3200 (i32.add (global.get $ctrl) (i32.shl (local.get $j) (i32.const 3)))))))
      (i32.store offset=16 (local.get $out) (i32.add (i32.load offset=16 (local.get $out)) (i32.const 1)))
      (local.set $x (i32.load (local.get $out)))
      (if (i32.ge_s (local.get $x) (i32.const 0))
        (then (local.set $x (i32.add (local.get $c) (i32.shl (local.get $x) (i32.const 3))))
              (f64.store (local.get $x) (f64.add (f64.load (local.get $x)) (f64.const 1)))))
      (local.set $x (i32.load offset=4 (local.get $out)))
      (if (i32.ge_s (local.get $x) (i32.const 0))
        (then (local.set $x (i32.add (local.get $c) (i32.shl (local.get $x) (i32.const 3))))
              (f64.store (local.get $x) (f64.add (f64.load (local.get $x)) (f64.const 1)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (local.get $j))
)
