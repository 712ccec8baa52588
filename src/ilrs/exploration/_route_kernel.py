"""The compiled route search (numba). See :mod:`ilrs.exploration.routes` for the rules.

Labels live in an arena that doubles when full: ``lf`` (time [s], energy [Wh], time since
contact [s]), ``li`` (cell, parent label, origin label), ``lk`` (kind), ``la`` (alive).
Each cell keeps at most ``cap`` arrival labels in ``store``, their state beside their
index so that the dominance tests read one place in memory, and beside that the state the
label last projected to by waiting (:func:`_slot_at`): the tests project stored labels
to ever later instants, and starting each from the last one makes the waits' steps
amortised O(1) rather than O(instants) (on a two-week traverse they had averaged 51
instants a test). A wait is not stored: it
continues its origin arrival label, which stands for it in the dominance tests (as the
origin's state projected by waiting).

The queue is a bucket queue on the priority (time plus heuristic), which never decreases
from one label taken to the next: labels wait in per-bucket lists (O(1) to add) and only
the current bucket's go into a small binary heap, so the order within it is exact.

The loop (:func:`_run`) rebinds no arrays and keeps calls that take arrays off its hot
path (both cost atomic reference counting at every turn): it returns when an array must
grow, and :func:`search` grows it and calls again.

Bits are read from (cells, bytes) arrays packed little-endian along the instants.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# Label kinds: a wait is queued as WAIT_STEP (one instant) or WAIT_EVENT (until the
# neighbourhood changes) and becomes WAIT once worked out.
START, MOVE, WAIT, WAIT_STEP, WAIT_EVENT = 0, 1, 2, 3, 4

# Counters returned by :func:`search`; the pruning causes double as the causes of a wait.
EXPANDED, CREATED, DOMINATED, EVICTED, WAITS = 0, 1, 2, 3, 4
BATTERY_DARK, BATTERY_LIT, CONTACT, PERIOD = 5, 6, 7, 8
TOLERATED = 9  # labels dropped only thanks to the energy tolerance
N_COUNTERS = 10
OK = -1

# The rover and period numbers, in one float array (index names).
BATTERY_WH, DRIVE_W, IDLE_W, SOLAR_W, RESERVE_WH, MAX_CONTACT_S, STEP_S, SPEED_M_S = range(8)
N_INSTANTS = 8
ENERGY_TOLERANCE_WH = 9
N_PARAMS = 10

# A store slot: time, energy, since contact, instant, label index; and the label's state
# waited until the start of instant PK (energy -inf once a wait there fails).
T, E, C, K, LABEL, PK, PE, PC = range(8)
SLOT = 8

_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _bit(bits, cell, k):
    return (bits[cell, k >> 3] >> (k & 7)) & 1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _instant(t_s, step_s, n_instants):
    """floor(t / step), exact at boundaries made as ``k * step_s``; a time at the period's
    very end counts in the last instant."""
    k = int(math.floor(t_s / step_s))
    if (k + 1) * step_s <= t_s:
        k += 1
    elif k * step_s > t_s:
        k -= 1
    return min(k, n_instants - 1)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _pixels_apart(cell, row, col, n_cols):
    """Straight-line distance from a cell to (row, col) [pixels] (sqrt: hypot is slower)."""
    dr = cell // n_cols - row
    dc = cell % n_cols - col
    return math.sqrt(dr * dr + dc * dc)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _move_ok(height_m, passable, p, q, horizontal_m, tan_slope):
    """The static rule: q passable and the move's slope within the limit (NaN fails)."""
    return passable[q] and abs(height_m[q] - height_m[p]) / horizontal_m <= tan_slope


@numba.njit(cache=True, inline="always", error_model="numpy")
def _wait_until(lit, contact, prm, cell, t_s, e_wh, c_s, j):
    """Wait at ``cell`` from ``t_s`` to the boundary ``j * step``, one instant at a time.

    Returns (cause, energy, since contact): cause OK, or the counter of what refused it."""
    step_s = prm[STEP_S]
    k = _instant(t_s, step_s, j + 1)
    while k < j:
        boundary_s = (k + 1) * step_s
        dt_s = boundary_s - t_s
        lit_k = _bit(lit, cell, k)
        e_wh = min(prm[BATTERY_WH], e_wh + (prm[SOLAR_W] * lit_k - prm[IDLE_W]) * dt_s / 3600.0)
        if e_wh < prm[RESERVE_WH]:
            return (BATTERY_LIT if lit_k else BATTERY_DARK), e_wh, c_s
        k += 1
        c_s = 0.0 if _bit(contact, cell, k) else c_s + dt_s
        if c_s > prm[MAX_CONTACT_S]:
            return CONTACT, e_wh, c_s
        t_s = boundary_s
    return OK, e_wh, c_s


@numba.njit(cache=True, inline="always", error_model="numpy")
def _projected(lit, contact, prm, cell, ta, ea, ca, kb):
    """Label a (time, energy, since contact) waiting at the cell until instant kb starts:
    (whether it can, time, energy, since contact)."""
    cause, ea, ca = _wait_until(lit, contact, prm, cell, ta, ea, ca, kb)
    return cause == OK, kb * prm[STEP_S], ea, ca


@numba.njit(cache=True, inline="always", error_model="numpy")
def _slot_at(lit, contact, prm, store, cell, s, kb):
    """Stored label ``s`` of ``cell`` waiting there until instant ``kb`` (later than its
    own) starts: (whether it can, time, energy, since contact). Waits on from the slot's
    last projection when that is no later, and keeps the new one."""
    pk = int(store[cell, s, PK])
    if kb < pk:  # earlier than the last projection: from the arrival, not kept
        return _projected(
            lit, contact, prm, cell, store[cell, s, T], store[cell, s, E], store[cell, s, C], kb
        )
    if store[cell, s, PE] == -math.inf:  # a wait that failed before kb fails at kb
        return False, kb * prm[STEP_S], -math.inf, store[cell, s, PC]
    ta = store[cell, s, T] if pk == int(store[cell, s, K]) else pk * prm[STEP_S]
    ok, ta, ea, ca = _projected(
        lit, contact, prm, cell, ta, store[cell, s, PE], store[cell, s, PC], kb
    )
    store[cell, s, PK], store[cell, s, PE], store[cell, s, PC] = kb, ea if ok else -math.inf, ca
    return ok, ta, ea, ca


# What a comparison of two labels finds (:func:`_no_worse`).
NOT, EXACTLY, WITHIN_TOLERANCE = 0, 1, 2


@numba.njit(cache=True, inline="always", error_model="numpy")
def _no_worse(ta, ea, ca, eb, cb, end_s, reserve_wh, spend_w, max_contact_s, tolerance_wh):
    """Whether a (at time ta, no later than b) has no less energy and no longer since
    contact than b: EXACTLY, WITHIN_TOLERANCE (only when energies ``tolerance_wh`` apart
    count as equal) or NOT. Energy or time out of contact beyond what the rest of the
    period could use is no advantage (with an ample battery or no contact limit, labels
    then compare on time). Scalars only: no reference counting in the hot loop."""
    left_s = end_s - ta
    if not (ca <= cb or ca + left_s <= max_contact_s):
        return NOT
    if ea >= eb or ea >= reserve_wh + left_s * spend_w / 3600.0:
        return EXACTLY
    return WITHIN_TOLERANCE if ea >= eb - tolerance_wh else NOT


@numba.njit(cache=True, inline="always", error_model="numpy")
def _bound_s(t_s, e_wh, drive_s, reserve_wh, drain_w, recharge_w):
    """The earliest arrival a label (time, energy) could make: ``drive_s`` (the static
    drive to the goal, :func:`time_to_goal`; 0 without the heuristic), plus, when driving
    drains the battery even in sunlight (``drain_w`` = drive - solar > 0), the recharging
    in sunlight (``recharge_w`` = solar - idle) needed to cover what driving that far lit
    would take below the reserve; infinite if it cannot be recharged. Admissible and
    consistent: no route drives less than the static graph's shortest, a move lowers the
    static drive by no more than its duration, and no hour is better lit than lit."""
    need_wh = drain_w * drive_s / 3600.0 - (e_wh - reserve_wh)
    if drain_w <= 0.0 or need_wh <= 0.0:
        return t_s + drive_s
    if recharge_w <= 0.0:
        return math.inf
    return t_s + drive_s + need_wh * 3600.0 / recharge_w


@numba.njit(cache=True, error_model="numpy")
def _own_last_change(bits, cell, n_instants):
    """The last instant j whose state differs from instant j - 1's (0 if none)."""
    j = n_instants - 1
    while j >= 1:
        if (j & 7) == 7:  # top bit of a whole byte: skip a byte with no change inside
            byte = bits[cell, j >> 3]
            if byte == 0 or byte == 255:
                j -= 7
                if j == 0:
                    break
        if _bit(bits, cell, j) != _bit(bits, cell, j - 1):
            return j
        j -= 1
    return 0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _first_change(bits, cell, k, last):
    """The first instant j in (k, last] whose state differs from instant j - 1's, else
    last + 1. A byte at a time: the bits that differ from the one before them are
    ``byte ^ (byte << 1 | the previous byte's top bit)``."""
    first = k + 1
    b = first >> 3
    while b <= last >> 3:
        byte = np.int64(bits[cell, b])
        before = np.int64(bits[cell, b - 1]) >> 7 if b > 0 else byte & 1
        changed = (byte ^ ((byte << 1) | before)) & 0xFF
        if b == first >> 3:
            changed &= (0xFF << (first & 7)) & 0xFF
        if changed != 0:
            j = b << 3
            while (changed & 1) == 0:
                changed >>= 1
                j += 1
            return j if j <= last else last + 1
        b += 1
    return last + 1


@numba.njit(cache=True, error_model="numpy")
def _next_event(lit, contact, last_change, around, m, k, n_instants):
    """The first instant after k at which the light or contact of any of ``around[:m]``
    (a cell and its reachable neighbours) changes, or -1."""
    last = 0
    for i in range(m):
        x = around[i]
        if last_change[x] < 0:  # computed on first need: most cells are never reached
            last_change[x] = max(
                _own_last_change(lit, x, n_instants), _own_last_change(contact, x, n_instants)
            )
        last = max(last, last_change[x])
    # the earliest of each cell's first change after k (each search bounded by the best yet)
    best = last + 1
    for i in range(m):
        x = around[i]
        best = min(best, _first_change(lit, x, k, best - 1))
        best = min(best, _first_change(contact, x, k, best - 1))
    return best if best <= last else -1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _heap_push(keys, values, n, key, value):
    i = n
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        values[i] = values[parent]
        i = parent
    keys[i] = key
    values[i] = value
    return n + 1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _heap_pop(keys, values, n):
    top = values[0]
    n -= 1
    key = keys[n]
    value = values[n]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i] = keys[child]
        values[i] = values[child]
        i = child
    keys[i] = key
    values[i] = value
    return top, n


@numba.njit(cache=True, error_model="numpy")
def time_to_goal(height_m, passable, n_cols, pixel_m, tan_slope, speed_m_s, goal):
    """The shortest drive from every cell to ``goal`` on the static graph (passable cells,
    move slopes, full speed, no waits) [s]; inf where the goal cannot be reached. A
    Dijkstra backwards from the goal: the search's lower bound of the time still needed
    (admissible and consistent, being exact for the static graph)."""
    n_cells = height_m.size
    n_rows = n_cells // n_cols
    best_s = np.full(n_cells, np.inf)
    done = np.zeros(n_cells, dtype=np.bool_)
    keys = np.empty(1 << 12)
    values = np.empty(1 << 12, dtype=np.int64)
    best_s[goal] = 0.0
    n_heap = _heap_push(keys, values, 0, 0.0, goal)
    while n_heap > 0:
        q, n_heap = _heap_pop(keys, values, n_heap)
        if done[q]:
            continue
        done[q] = True
        qr, qc = q // n_cols, q % n_cols
        for d in range(8):
            r, cc = qr + _DR[d], qc + _DC[d]
            if r < 0 or r >= n_rows or cc < 0 or cc >= n_cols:
                continue
            p = r * n_cols + cc
            if done[p] or not passable[p]:
                continue
            horizontal_m = pixel_m * (math.sqrt(2.0) if _DR[d] != 0 and _DC[d] != 0 else 1.0)
            if not _move_ok(height_m, passable, p, q, horizontal_m, tan_slope):
                continue
            dz_m = height_m[q] - height_m[p]
            t_s = best_s[q] + math.sqrt(horizontal_m**2 + dz_m**2) / speed_m_s
            if t_s < best_s[p]:
                best_s[p] = t_s
                if n_heap == keys.size:  # rare: numba cannot grow in place here
                    keys = np.concatenate((keys, np.empty(keys.size)))
                    values = np.concatenate((values, np.empty(values.size, dtype=np.int64)))
                n_heap = _heap_push(keys, values, n_heap, t_s, p)
    return best_s


@numba.njit(cache=True, inline="always", error_model="numpy")
def _neighbours(height_m, passable, n_cols, horizontal_m, tan_slope, p, around, direction):
    """The cell and its reachable neighbours in ``around[:m]`` (the cell first), the move
    directions of the neighbours in ``direction[1:m]``; returns m."""
    n_rows = height_m.size // n_cols
    pr, pc = p // n_cols, p % n_cols
    around[0] = p
    m = 1
    for d in range(8):
        r, cc = pr + _DR[d], pc + _DC[d]
        if r < 0 or r >= n_rows or cc < 0 or cc >= n_cols:
            continue
        q = r * n_cols + cc
        if _move_ok(height_m, passable, p, q, horizontal_m[d], tan_slope):
            around[m] = q
            direction[m] = d
            m += 1
    return m


# Scalars of a search, kept between calls of :func:`_run` (which returns to have an array
# grown: rebinding arrays inside its loop would cost reference counting at every turn).
N_LABELS, N_HEAP, BUCKET, GOAL_LABEL, STOP_CAUSE = range(5)
CLOSEST_M, CLOSEST_S, STOP_PX, STOP_S = range(4)
DONE, GROW_LABELS, GROW_HEAP = range(3)


@numba.njit(cache=True, error_model="numpy")
def _run(
    height_m,
    passable,
    n_cols,
    lit,
    contact,
    prm,
    pixel_m,
    tan_slope,
    goal,
    to_goal_s,
    store,
    n_stored,
    last_change,
    lf,
    li,
    lk,
    la,
    queue_key,
    queue_next,
    head,
    keys,
    values,
    base,
    width,
    counters,
    state,
    fstate,
):
    """The search loop, from and into ``state``/``fstate``, until the goal is taken, the
    queue runs out (DONE) or an array must grow (GROW_LABELS, GROW_HEAP)."""
    step_s = prm[STEP_S]
    n_instants = int(prm[N_INSTANTS])
    end_s = n_instants * step_s
    reserve_wh, max_c_s = prm[RESERVE_WH], prm[MAX_CONTACT_S]
    tolerance_wh = prm[ENERGY_TOLERANCE_WH]
    spend_w = max(prm[DRIVE_W], prm[IDLE_W])  # the most the rover can spend
    drain_w = prm[DRIVE_W] - prm[SOLAR_W]  # driving in sunlight
    recharge_w = prm[SOLAR_W] - prm[IDLE_W]  # waiting in sunlight
    goal_r, goal_c = goal // n_cols, goal % n_cols
    cap = store.shape[1]
    n_buckets = head.size
    n_labels, n_heap, bucket = state[N_LABELS], state[N_HEAP], state[BUCKET]
    closest_m, closest_s = fstate[CLOSEST_M], fstate[CLOSEST_S]
    # what stopped the label nearest the goal (the earliest there): why there is no route
    stop_cause, stop_px, stop_s = state[STOP_CAUSE], fstate[STOP_PX], fstate[STOP_S]
    horizontal_m = np.empty(8)
    for d in range(8):
        horizontal_m[d] = pixel_m * (math.sqrt(2.0) if _DR[d] != 0 and _DC[d] != 0 else 1.0)
    around = np.empty(9, dtype=np.int64)
    direction = np.empty(9, dtype=np.int64)
    to_push = np.empty(9, dtype=np.int64)  # labels made by one expansion
    status = DONE

    while True:
        if n_labels + 9 > lk.size:  # room for one expansion's labels
            status = GROW_LABELS
            break
        # The next label: from the heap, which takes the current bucket's list first.
        label = head[bucket]
        while label >= 0 and n_heap < keys.size:
            n_heap = _heap_push(keys, values, n_heap, queue_key[label], label)
            label = queue_next[label]
        head[bucket] = label
        if label >= 0 or n_heap + 9 > keys.size:  # room for the list and one expansion's
            status = GROW_HEAP
            break
        if n_heap == 0:
            if bucket == n_buckets - 1:
                break
            bucket += 1
            continue
        idx, n_heap = _heap_pop(keys, values, n_heap)
        if not la[idx]:
            continue

        p = li[idx, 0]
        origin = li[idx, 2]
        p_to_goal = _pixels_apart(p, goal_r, goal_c, n_cols)
        p_to_goal_s = to_goal_s[p]
        n_push = 0
        kind = lk[idx]
        if kind >= WAIT_STEP:  # WAIT_STEP or WAIT_EVENT
            # A wait is worked out only when its turn comes (most never come): queued at
            # its earliest end, it goes back in the queue if it lasts longer.
            if not la[origin]:
                continue
            k = _instant(lf[idx, 0], step_s, n_instants)
            j = k + 1
            if kind == WAIT_EVENT:
                m = _neighbours(
                    height_m, passable, n_cols, horizontal_m, tan_slope, p, around, direction
                )
                j = _next_event(lit, contact, last_change, around, m, k, n_instants)
                if j < 0:
                    continue
            cause, e2, c2 = _wait_until(lit, contact, prm, p, lf[idx, 0], lf[idx, 1], lf[idx, 2], j)
            if cause != OK:
                counters[cause] += 1
                if p_to_goal < stop_px or (p_to_goal == stop_px and lf[idx, 0] < stop_s):
                    stop_cause, stop_px, stop_s = cause, p_to_goal, lf[idx, 0]
                continue
            lf[idx, 0], lf[idx, 1], lf[idx, 2] = j * step_s, e2, c2
            lk[idx] = kind = WAIT
            counters[WAITS] += 1
            if j > k + 1:
                queue_key[idx] = _bound_s(
                    j * step_s, e2, p_to_goal_s, reserve_wh, drain_w, recharge_w
                )
                if queue_key[idx] > end_s:
                    counters[PERIOD] += 1
                    if p_to_goal < stop_px or (p_to_goal == stop_px and lf[idx, 0] < stop_s):
                        stop_cause, stop_px, stop_s = PERIOD, p_to_goal, lf[idx, 0]
                    continue
                to_push[0] = idx
                n_push = 1
        t_s, e_wh, c_s = lf[idx, 0], lf[idx, 1], lf[idx, 2]
        k = _instant(t_s, step_s, n_instants)
        if n_push == 0 and kind == WAIT:  # a wait goes on only if nothing else covers it
            covered = False
            for s in range(n_stored[p]):
                if store[p, s, LABEL] == origin or store[p, s, T] > t_s:
                    continue
                ok, ta, ea, ca = True, store[p, s, T], store[p, s, E], store[p, s, C]
                if k > int(store[p, s, K]):  # a call passes arrays: only when needed
                    ok, ta, ea, ca = _slot_at(lit, contact, prm, store, p, s, k)
                # exact here: with a tolerance two waits could each cover the other
                if ok and (
                    _no_worse(ta, ea, ca, e_wh, c_s, end_s, reserve_wh, spend_w, max_c_s, 0.0)
                    == EXACTLY
                ):
                    covered = True
                    break
            if covered:
                counters[DOMINATED] += 1
                continue
        if n_push == 0:
            counters[EXPANDED] += 1
            if p == goal:
                state[GOAL_LABEL] = idx
                break
            lit_p = _bit(lit, p, k)
            contact_p = _bit(contact, p, k)
            rate_w = prm[SOLAR_W] * lit_p - prm[DRIVE_W]
            m = _neighbours(
                height_m, passable, n_cols, horizontal_m, tan_slope, p, around, direction
            )
            edge = False
            short_wh = False
            for i in range(1, m):
                q, d = around[i], direction[i]
                if (lit_p and not _bit(lit, q, k)) or (contact_p and not _bit(contact, q, k)):
                    edge = True
                dz_m = height_m[q] - height_m[p]
                duration_s = math.sqrt(horizontal_m[d] ** 2 + dz_m**2) / prm[SPEED_M_S]
                t2 = t_s + duration_s
                e2 = min(prm[BATTERY_WH], e_wh + rate_w * duration_s / 3600.0)
                k2 = _instant(t2, step_s, n_instants)
                c2 = 0.0 if _bit(contact, q, k2) else c_s + duration_s
                q_to_goal = _pixels_apart(q, goal_r, goal_c, n_cols)
                key = _bound_s(t2, e2, to_goal_s[q], reserve_wh, drain_w, recharge_w)
                cause = OK
                if t2 > end_s:
                    cause = PERIOD
                elif e2 < reserve_wh:
                    cause = BATTERY_LIT if lit_p else BATTERY_DARK
                    short_wh = True
                elif c2 > max_c_s:
                    cause = CONTACT
                elif key > end_s:  # the goal is out of reach within the period
                    cause = BATTERY_LIT if key == math.inf else PERIOD
                if cause != OK:
                    counters[cause] += 1
                    if p_to_goal < stop_px or (p_to_goal == stop_px and t_s < stop_s):
                        stop_cause, stop_px, stop_s = cause, p_to_goal, t_s
                    continue
                new = n_labels + n_push
                # Keep it unless a label stored at q dominates it; drop those it dominates;
                # when q is full, the most energetic is kept (ties: the earliest) and the
                # latest of the others dropped (ties: the new one).
                n = n_stored[q]
                dominated = False
                for s in range(n):
                    if store[q, s, T] > t2:
                        continue
                    ok, ta, ea, ca = True, store[q, s, T], store[q, s, E], store[q, s, C]
                    if k2 > int(store[q, s, K]):
                        ok, ta, ea, ca = _slot_at(lit, contact, prm, store, q, s, k2)
                    if not ok:
                        continue
                    verdict = _no_worse(
                        ta, ea, ca, e2, c2, end_s, reserve_wh, spend_w, max_c_s, tolerance_wh
                    )
                    if verdict != NOT:
                        dominated = True
                        counters[TOLERATED] += verdict == WITHIN_TOLERANCE
                        break
                if dominated:
                    counters[DOMINATED] += 1
                    continue
                # The new label waited on to each later label's instant: from where the
                # last such wait ended when that is no later (the same steps as from the
                # arrival, and a wait that failed fails later too), else from the arrival.
                wk, w_ok, we, wc = k2, True, e2, c2
                for s in range(n - 1, -1, -1):
                    tb = store[q, s, T]
                    if t2 > tb:
                        continue
                    ok, ta, ea, ca = True, t2, e2, c2
                    kb = int(store[q, s, K])
                    if kb > k2:
                        if kb < wk:
                            ok, ta, ea, ca = _projected(lit, contact, prm, q, t2, e2, c2, kb)
                        elif not w_ok:
                            ok = False
                        else:
                            ta = t2 if wk == k2 else wk * step_s
                            ok, ta, ea, ca = _projected(lit, contact, prm, q, ta, we, wc, kb)
                            wk, w_ok, we, wc = kb, ok, ea, ca
                    if not ok:
                        continue
                    eb, cb = store[q, s, E], store[q, s, C]
                    verdict = _no_worse(
                        ta, ea, ca, eb, cb, end_s, reserve_wh, spend_w, max_c_s, tolerance_wh
                    )
                    if verdict != NOT:
                        la[int(store[q, s, LABEL])] = False
                        counters[DOMINATED] += 1
                        counters[TOLERATED] += verdict == WITHIN_TOLERANCE
                        n -= 1
                        for f in range(SLOT):  # the last fills the hole
                            store[q, s, f] = store[q, n, f]
                free = n
                if n == cap:
                    counters[EVICTED] += 1
                    richest, best_e, best_t = -1, e2, t2  # -1: the new label
                    for s in range(cap):
                        if store[q, s, E] > best_e or (
                            store[q, s, E] == best_e and store[q, s, T] < best_t
                        ):
                            richest, best_e, best_t = s, store[q, s, E], store[q, s, T]
                    free, latest = -1, (t2 if richest != -1 else -np.inf)
                    for s in range(cap):
                        if s != richest and store[q, s, T] > latest:
                            free, latest = s, store[q, s, T]
                    if free >= 0:
                        la[int(store[q, free, LABEL])] = False
                else:
                    n += 1
                n_stored[q] = n
                if free >= 0:
                    store[q, free, T], store[q, free, E], store[q, free, C] = t2, e2, c2
                    store[q, free, K], store[q, free, LABEL] = k2, new
                    store[q, free, PK], store[q, free, PE], store[q, free, PC] = k2, e2, c2
                    lf[new, 0], lf[new, 1], lf[new, 2] = t2, e2, c2
                    li[new, 0], li[new, 1], li[new, 2] = q, idx, new
                    lk[new], la[new] = MOVE, True
                    queue_key[new] = key
                    counters[CREATED] += 1
                    to_push[n_push] = new
                    n_push += 1
                    if pixel_m * q_to_goal < closest_m:
                        closest_m, closest_s = pixel_m * q_to_goal, t2

            # Waiting: one instant at a time beside a change of light or contact (a
            # shadow's or a contact zone's edge: the moment to set off matters there), or to
            # recharge when a move lacked energy; elsewhere until the neighbourhood next
            # changes, as setting off later into unchanged surroundings gains nothing.
            # No waiting with energy and time out of contact to spare for the rest of the
            # period: moves take the same time whenever they start, so earlier is better.
            left_s = end_s - t_s
            ample = e_wh >= reserve_wh + left_s * spend_w / 3600.0 and c_s + left_s <= max_c_s
            # Its priority: no less than now, nor than driving on after the wait.
            key = max(
                _bound_s(t_s, e_wh, p_to_goal_s, reserve_wh, drain_w, recharge_w),
                (k + 1) * step_s + p_to_goal_s,
            )
            if k + 1 < n_instants and not ample and key <= end_s:
                recharging = lit_p and prm[SOLAR_W] > prm[IDLE_W] and e_wh < prm[BATTERY_WH]
                new = n_labels + n_push
                lf[new, 0], lf[new, 1], lf[new, 2] = t_s, e_wh, c_s
                li[new, 0], li[new, 1], li[new, 2] = p, idx, origin
                lk[new] = WAIT_STEP if edge or (short_wh and recharging) else WAIT_EVENT
                la[new] = True
                queue_key[new] = key
                to_push[n_push] = new
                n_push += 1
            n_labels += n_push
        for i in range(n_push):  # into the queue: the current bucket's into the heap
            label = to_push[i]
            b = int((queue_key[label] - base) / width)
            if b <= bucket:
                n_heap = _heap_push(keys, values, n_heap, queue_key[label], label)
            else:
                b = min(b, n_buckets - 1)
                queue_next[label] = head[b]
                head[b] = label

    state[N_LABELS], state[N_HEAP], state[BUCKET] = n_labels, n_heap, bucket
    fstate[CLOSEST_M], fstate[CLOSEST_S] = closest_m, closest_s
    state[STOP_CAUSE], fstate[STOP_PX], fstate[STOP_S] = stop_cause, stop_px, stop_s
    return status


def _grown(array):
    """``array`` with twice the rows, resized in place (realloc: big blocks are remapped,
    not copied, so their pages are not touched again)."""
    array.resize((2 * array.shape[0], *array.shape[1:]), refcheck=False)
    return array


def search(
    height_m,
    passable,
    n_cols,
    lit,
    contact,
    prm,
    pixel_m,
    tan_slope,
    start,
    goal,
    start_s,
    start_wh,
    to_goal_s,
    cap,
):
    """Earliest arrival at ``goal``, ordered by time plus ``to_goal_s`` (per cell: a
    consistent lower bound of the drive still needed [s], e.g. :func:`time_to_goal`, or
    zeros for Dijkstra's order). Returns (found, goal label, lf, li, lk, counters,
    closest approach [m], its time [s], the cause (counter index) that stopped the label
    nearest the goal, or OK).

    Arrays are made here by numpy (which asks for huge pages for big ones) and grown when
    :func:`_run` asks."""
    n_cells = height_m.size
    step_s = prm[STEP_S]
    end_s = prm[N_INSTANTS] * step_s
    speed = prm[SPEED_M_S]
    goal_r, goal_c = divmod(goal, n_cols)
    start_r, start_c = divmod(start, n_cols)

    size = 1 << 16
    lf = np.empty((size, 3))
    li = np.empty((size, 3), dtype=np.int32)
    lk = np.empty(size, dtype=np.int8)
    la = np.empty(size, dtype=np.bool_)
    queue_key = np.empty(size)  # per label: its priority and the next in its bucket
    queue_next = np.empty(size, dtype=np.int32)
    store = np.empty((n_cells, cap, SLOT))
    n_stored = np.zeros(n_cells, dtype=np.int8)  # slots in use per cell
    last_change = np.full(n_cells, -1, dtype=np.int32)
    counters = np.zeros(N_COUNTERS, dtype=np.int64)

    # The bucket queue: priorities from the start's to the period's end plus the longest
    # heuristic, in buckets of a quarter move (wider if that would make too many).
    drain_w, recharge_w = prm[DRIVE_W] - prm[SOLAR_W], prm[SOLAR_W] - prm[IDLE_W]
    first_key = min(
        _bound_s(start_s, start_wh, to_goal_s[start], prm[RESERVE_WH], drain_w, recharge_w),
        end_s,
    )
    last_key = end_s  # later priorities are pruned
    width = max(min(step_s, pixel_m / speed) / 4.0, (last_key - first_key) / (1 << 22))
    base = first_key - width  # below the first key, whatever the rounding
    head = np.full(int((last_key - base) / width) + 2, -1, dtype=np.int64)
    keys = np.empty(1 << 12)  # the heap of the current bucket
    values = np.empty(1 << 12, dtype=np.int64)

    lf[0] = start_s, start_wh, 0.0
    li[0] = start, -1, 0
    lk[0], la[0] = START, True
    store[start, 0, T], store[start, 0, E], store[start, 0, C] = start_s, start_wh, 0.0
    store[start, 0, K] = min(int(start_s // step_s), int(prm[N_INSTANTS]) - 1)
    store[start, 0, LABEL] = 0
    store[start, 0, PK], store[start, 0, PE] = store[start, 0, K], start_wh
    store[start, 0, PC] = 0.0
    n_stored[start] = 1
    queue_key[0] = first_key
    head[1] = 0  # the start's key falls in bucket 1
    queue_next[0] = -1
    state = np.array([1, 0, 1, -1, OK], dtype=np.int64)
    fstate = np.array(
        [pixel_m * math.hypot(start_r - goal_r, start_c - goal_c), start_s, math.inf, 0.0]
    )
    while True:
        status = _run(
            height_m,
            passable,
            n_cols,
            lit,
            contact,
            prm,
            pixel_m,
            tan_slope,
            goal,
            to_goal_s,
            store,
            n_stored,
            last_change,
            lf,
            li,
            lk,
            la,
            queue_key,
            queue_next,
            head,
            keys,
            values,
            base,
            width,
            counters,
            state,
            fstate,
        )
        if status == GROW_LABELS:
            lf, li, lk, la = _grown(lf), _grown(li), _grown(lk), _grown(la)
            queue_key, queue_next = _grown(queue_key), _grown(queue_next)
        elif status == GROW_HEAP:
            keys, values = _grown(keys), _grown(values)
        else:
            break
    n = int(state[N_LABELS])
    goal_label = int(state[GOAL_LABEL])
    return (
        goal_label >= 0,
        goal_label,
        lf[:n],
        li[:n],
        lk[:n],
        counters,
        float(fstate[CLOSEST_M]),
        float(fstate[CLOSEST_S]),
        int(state[STOP_CAUSE]),
    )
