// Node's timers hold at most 2^31 - 1 ms (about 24.8 days): a longer delay fires after 1 ms
// (with a TimeoutOverflowWarning). User-given durations (stop timeouts, health-check intervals,
// `events --until`) are clamped to it, or re-armed where the exact time matters.

/** The longest delay a Node timer takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
