// The two ways a loop judges an in-memory capture (bench/lib/workload.mjs's `makeFrames`), timed:
// frame by frame with judgeNow (as replay does), and in staged batches (stageBatch → judgeStaged,
// as the AF_PACKET and NFQUEUE loops do: stageBatch reads the batch's headers in one tight loop,
// stages each frame and reads their conntrack records, see Dataplane.stageBatch). Each returns
// wall and process CPU ns for the whole loop and the count of allowed frames.

export function judgeEach(dp, w, count, firstDrop) {
  const { data, offsets, lengths, timesMs, linkType } = w;
  let allowed = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    dp.clock[0] = timesMs[i];
    if (dp.judgeNow(linkType, data, offsets[i], lengths[i], lengths[i]) < firstDrop) allowed++;
  }
  return done(t0, c0, allowed);
}

export function judgeStaged(dp, w, count, firstDrop, batch) {
  const { data, meta, timesMs, linkType } = w;
  let allowed = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    dp.stageBatch(linkType, data, meta, i, n, 2, 0, 1);
    for (let j = 0; j < n; j++) {
      dp.clock[0] = timesMs[i + j];
      if (dp.judgeStaged(j) < firstDrop) allowed++;
    }
  }
  return done(t0, c0, allowed);
}

function done(t0, c0, allowed) {
  const ns = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  // CPU time beside wall time: on a shared machine, wall time also counts the time descheduled.
  return { ns, cpuNs: (c.user + c.system) * 1000, allowed };
}
