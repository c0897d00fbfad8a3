#!/usr/bin/env python3
"""A point-to-point IP link with netem's impairments, in user space, for kernels
built without sch_netem. Opens two TUN devices (argv[1], argv[2]); the test
moves each into a network namespace and routes through them. Every IP packet
read from one side is written to the other: dropped with probability `loss`,
else held `delay` +/- `jitter` ms, or sent at once with probability `reorder`
(netem's "reorder": those overtake the delayed ones). The kernels' TCP stacks
on both ends see real loss, delay and reordering.

stdin, one command a line: "impair DELAY_MS JITTER_MS LOSS_PCT REORDER_PCT",
"clear", or EOF to exit. Prints "ready" once both devices exist."""
import fcntl, heapq, os, random, select, struct, sys, time

TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000


def open_tun(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


a, b = open_tun(sys.argv[1]), open_tun(sys.argv[2])
other = {a: b, b: a}
delay = jitter = loss = reorder = 0.0
queue = []  # (due, seq, fd, packet)
seq = 0
print('ready', flush=True)
stdin = sys.stdin.fileno()
while True:
    timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
    readable, _, _ = select.select([a, b, stdin], [], [], timeout)
    for fd in readable:
        if fd == stdin:
            line = sys.stdin.readline()
            if not line:
                sys.exit(0)
            words = line.split()
            if words[:1] == ['impair']:
                delay, jitter, loss, reorder = (float(w) for w in words[1:5])
            elif words[:1] == ['clear']:
                delay = jitter = loss = reorder = 0.0
            print('ok', flush=True)
            continue
        try:
            packet = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if random.random() * 100 < loss:
            continue
        hold = 0.0 if random.random() * 100 < reorder else max(0.0, delay + random.uniform(-jitter, jitter)) / 1000
        seq += 1
        heapq.heappush(queue, (time.monotonic() + hold, seq, other[fd], packet))
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        _, _, fd, packet = heapq.heappop(queue)
        try:
            os.write(fd, packet)
        except OSError:
            pass  # the device is down (a cut link): the packet is lost, as on a wire
