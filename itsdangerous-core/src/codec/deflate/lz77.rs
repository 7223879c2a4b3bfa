//! The match finder and lazy-evaluation loop of zlib 1.2.13 at level 6
//! (deflate_slow + longest_match), for an input that fits in the window
//! without sliding.
//!
//! Differences from zlib that do not change the output:
//! - the whole input is copied into the window once, as zlib's first
//!   fill_window does for any input up to its 64 KiB window;
//! - head[] entries carry a per-call stamp instead of being zeroed by
//!   deflateInit, so setup does not cost a 64 KiB memset;
//! - prev[] is never cleared, as in zlib: every entry is written by an
//!   insertion before any chain can reach it.

use super::bits::BitWriter;
use super::trees::{BlockEncoder, Tally};

const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
const W_BITS: usize = 15;
const W_SIZE: usize = 1 << W_BITS;
const HASH_BITS: usize = 8 + 7; // memLevel 8
const HASH_SIZE: usize = 1 << HASH_BITS;
const HASH_MASK: u32 = (HASH_SIZE - 1) as u32;
/// Three shifts push a byte out of the hash: ceil(HASH_BITS / MIN_MATCH).
const HASH_SHIFT: u32 = HASH_BITS.div_ceil(MIN_MATCH) as u32;
const MIN_LOOKAHEAD: usize = MAX_MATCH + MIN_MATCH + 1;
/// Matches may not reach further back than this (zlib's MAX_DIST).
const MAX_DIST: usize = W_SIZE - MIN_LOOKAHEAD;
/// Length-3 matches further than this are not worth it.
const TOO_FAR: usize = 4096;

// Level 6 of zlib's configuration table.
const GOOD_MATCH: usize = 8;
const MAX_LAZY: usize = 16;
const NICE_MATCH: usize = 128;
const MAX_CHAIN: usize = 128;

/// zlib zeroes this many bytes past the input (WIN_INIT); longest_match
/// reads up to MAX_MATCH bytes past strstart, so those reads see zeros.
const WINDOW_PADDING: usize = MAX_MATCH + 8;

/// Largest input handled exactly. zlib slides its 64 KiB window once
/// strstart reaches W_SIZE + MAX_DIST; below that the whole input sits in
/// the window from the first read and positions equal input offsets.
pub(super) const MAX_INPUT: usize = W_SIZE + MAX_DIST - 1;

/// Window capacity: a power of two above MAX_INPUT + WINDOW_PADDING plus
/// one more MAX_MATCH + 1 of slack, so `window[(pos & WINDOW_MASK) + k]`
/// for k <= MAX_MATCH needs no bounds check. Masking is a no-op for every
/// position that occurs (all are below MAX_INPUT).
const WINDOW_MASK: usize = (1 << 16) - 1;
/// Offsets added to a masked position are masked to below this (see read_u16).
const OFFSET_SLACK: usize = 512;
const WINDOW_CAP: usize = WINDOW_MASK + 1 + OFFSET_SLACK + 1;
const _: () = assert!(OFFSET_SLACK > MAX_MATCH + 1);
const _: () = assert!(MAX_INPUT + WINDOW_PADDING <= WINDOW_CAP && MAX_INPUT <= WINDOW_MASK);

/// prev[] has a slot per position rather than zlib's W_SIZE slots indexed
/// by position & W_MASK, so indexing needs no mask beyond the u16 one.
/// Same values wherever they are read: zlib's slot for p is overwritten
/// only by the insertion of p + W_SIZE, and a chain walk at strstart reads
/// prev[p] only for p > strstart - MAX_DIST, i.e. p + W_SIZE > strstart,
/// whose insertion has not happened yet.
const PREV_SIZE: usize = WINDOW_MASK + 3;

fn boxed_array<T: Copy, const N: usize>(value: T) -> Box<[T; N]> {
    vec![value; N]
        .into_boxed_slice()
        .try_into()
        .unwrap_or_else(|_| unreachable!())
}

pub(super) struct Matcher {
    /// The input at [0..n], zeros at [n..n + WINDOW_PADDING]; the rest is
    /// stale from earlier calls and never read.
    window: Box<[u8; WINDOW_CAP]>,
    /// Most recent position per hash, stored as `stamp + position`; values
    /// below the current stamp are leftovers from earlier calls and read as
    /// empty (NIL). Position 0 also reads as NIL, as in zlib.
    head: Box<[u32; HASH_SIZE]>,
    /// Previous position with the same hash, indexed by position (zlib
    /// indexes by position & W_MASK: see PREV_SIZE).
    prev: Box<[u16; PREV_SIZE]>,
    /// Stamp for the next call: above every entry written so far.
    next_stamp: u32,
    pub(super) blocks: BlockEncoder,
}

impl Matcher {
    pub(super) fn new() -> Self {
        Matcher {
            window: boxed_array(0),
            head: boxed_array(0),
            prev: boxed_array(0),
            next_stamp: 0,
            blocks: BlockEncoder::new(),
        }
    }

    /// Pick a stamp above every head entry written by earlier calls, so they
    /// all read as empty, and load the input into the window.
    fn start(&mut self, input: &[u8]) -> u32 {
        if self.next_stamp as u64 + input.len() as u64 >= u32::MAX as u64 {
            self.head.fill(0);
            self.next_stamp = 0;
        }
        let stamp = self.next_stamp;
        self.next_stamp = stamp + input.len() as u32;
        let n = input.len();
        self.window[..n].copy_from_slice(input);
        self.window[n..n + WINDOW_PADDING].fill(0);
        self.blocks.init_block();
        stamp
    }

    /// deflate_slow over the whole input, ending with the last block.
    pub(super) fn compress(&mut self, input: &[u8], bits: &mut BitWriter<'_>) {
        debug_assert!(input.len() <= MAX_INPUT);
        let stamp = self.start(input);
        let n = input.len();

        let mut strstart = 0usize;
        let mut lookahead = n;
        let mut block_start = 0usize;
        let mut match_length = MIN_MATCH - 1;
        let mut match_start = 0usize;
        let mut match_available = false;
        // fill_window primes the rolling hash with the first two bytes.
        let mut ins_h: u32 = if n >= MIN_MATCH {
            ((self.window[0] as u32) << HASH_SHIFT ^ self.window[1] as u32) & HASH_MASK
        } else {
            0
        };

        let head = &mut *self.head;
        let prev = &mut *self.prev;
        let window = &*self.window;
        let blocks = &mut self.blocks;

        loop {
            // The loop state lives in locals and the tallies go through
            // plain references, so the stores into head/prev cannot force
            // reloads of either. Ends with the input or with a full block
            // (returning where that block ends).
            let mut tally = blocks.tally();
            let full_at = 'run: loop {
                if lookahead == 0 {
                    break None;
                }
                let mut hash_head = 0usize;
                if lookahead >= MIN_MATCH {
                    hash_head = insert_string(head, prev, window, stamp, strstart, &mut ins_h);
                    if match_available && match_length == MIN_MATCH - 1 {
                        // A run of literals, the common case in short inputs:
                        // while no earlier string shares the hash (or it is
                        // out of reach), nothing can match here, so what the
                        // general step below would do reduces to emitting
                        // the pending byte and moving on.
                        if hash_head == 0 || strstart - hash_head > MAX_DIST {
                            let (written, head_found) = literal_run(
                                head,
                                prev,
                                window,
                                stamp,
                                &mut tally,
                                strstart,
                                lookahead,
                                &mut ins_h,
                            );
                            strstart += written;
                            lookahead -= written;
                            if tally.add_literals(written) {
                                break 'run Some(strstart - 1);
                            }
                            if lookahead < MIN_MATCH {
                                continue 'run;
                            }
                            hash_head = head_found;
                        }
                    }
                }

                let prev_length = match_length;
                let prev_match = match_start;
                match_length = MIN_MATCH - 1;

                if hash_head != 0 && prev_length < MAX_LAZY && strstart - hash_head <= MAX_DIST {
                    match_length = longest_match(
                        window,
                        prev,
                        strstart,
                        hash_head,
                        prev_length,
                        lookahead,
                        &mut match_start,
                    );
                    if match_length == MIN_MATCH && strstart - match_start > TOO_FAR {
                        match_length = MIN_MATCH - 1;
                    }
                }

                if prev_length >= MIN_MATCH && match_length <= prev_length {
                    // The previous match wins: emit it and index the strings
                    // it covers (those with MIN_MATCH bytes left to hash).
                    let max_insert = strstart + lookahead - MIN_MATCH;
                    let full = tally.matched(strstart - 1 - prev_match, prev_length);
                    lookahead -= prev_length - 1;
                    let end = (strstart + prev_length - 1).min(max_insert + 1);
                    let mut pos = strstart + 1;
                    // A plain counted loop: a Range here costs LLVM extra
                    // induction variables.
                    while pos < end {
                        insert_string(head, prev, window, stamp, pos, &mut ins_h);
                        pos += 1;
                    }
                    strstart += prev_length - 1;
                    match_available = false;
                    match_length = MIN_MATCH - 1;
                    if full {
                        break Some(strstart);
                    }
                } else if match_available {
                    // No better match here: the byte before becomes a literal.
                    let full = tally.literal(window[(strstart - 1) & WINDOW_MASK]);
                    strstart += 1;
                    lookahead -= 1;
                    if full {
                        break Some(strstart - 1);
                    }
                } else {
                    // Wait one step to see whether the next position matches better.
                    match_available = true;
                    strstart += 1;
                    lookahead -= 1;
                }
            };
            let count = tally.count;
            match full_at {
                Some(end) => {
                    blocks.set_symbol_count(count);
                    blocks.flush_block(bits, &window[block_start..end], false);
                    block_start = end;
                }
                None => {
                    if match_available {
                        // The final pending literal, tallied without a
                        // fullness check (the buffer has a spare slot).
                        tally.literal(window[(strstart - 1) & WINDOW_MASK]);
                    }
                    let count = tally.count;
                    blocks.set_symbol_count(count);
                    blocks.flush_block(bits, &window[block_start..strstart], true);
                    return;
                }
            }
        }
    }
}

/// The literal-run state of deflate_slow: no match pending, the byte
/// before `strstart` pending as a literal, and `strstart` just inserted with
/// no usable chain. Emits that literal, then inserts the next position and
/// repeats while its chain is unusable too (empty or out of reach), until
/// the block is full or fewer than MIN_MATCH bytes would remain. Returns
/// the number of literals written (the caller advances by as much and
/// counts them) and the last chain head found (usable unless it stopped
/// for one of the other reasons).
///
/// One induction variable (q, the literal's position; strstart is q + 1)
/// drives everything: symbol slot, window bytes at q and q + 4 (the byte
/// the hash of the next strstart, q + 2, takes in), prev[q + 2].
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn literal_run(
    head: &mut [u32; HASH_SIZE],
    prev: &mut [u16; PREV_SIZE],
    window: &[u8; WINDOW_CAP],
    stamp: u32,
    tally: &mut Tally<'_>,
    strstart: usize,
    lookahead: usize,
    ins_h: &mut u32,
) -> (usize, usize) {
    // After k literals lookahead - k remain; stop before it drops below MIN_MATCH.
    let (slots, lfreq) = tally.literal_slots(lookahead - (MIN_MATCH - 1));
    let q0 = strstart - 1;
    // The last literal position this run may reach (the slice is not empty:
    // the block has room and lookahead >= MIN_MATCH).
    let q_last = q0 + slots.len() - 1;
    let mut h = *ins_h;
    let mut q = q0;
    let mut hash_head = 0;
    loop {
        let base = q & WINDOW_MASK;
        let byte = window[base];
        slots[q - q0] = byte as u32;
        lfreq[byte as usize] += 1;
        if q == q_last {
            q += 1;
            break;
        }
        // The next literal is at q + 1, so strstart moves to q + 2:
        // insert_string for it.
        h = ((h << HASH_SHIFT) ^ window[base + 2 + MIN_MATCH - 1] as u32) & HASH_MASK;
        let entry = &mut head[h as usize & (HASH_SIZE - 1)];
        let previous = entry.saturating_sub(stamp) as usize;
        prev[base + 2] = previous as u16;
        *entry = stamp + (q + 2) as u32;
        q += 1;
        if previous != 0 && q + 1 - previous <= MAX_DIST {
            hash_head = previous;
            break;
        }
    }
    *ins_h = h;
    (q - q0, hash_head)
}

/// Insert the string at `pos` into its hash chain and return the previous
/// head of that chain (0 when empty).
#[inline(always)]
fn insert_string(
    head: &mut [u32; HASH_SIZE],
    prev: &mut [u16; PREV_SIZE],
    window: &[u8; WINDOW_CAP],
    stamp: u32,
    pos: usize,
    ins_h: &mut u32,
) -> usize {
    let byte = window[(pos & WINDOW_MASK) + MIN_MATCH - 1];
    *ins_h = ((*ins_h << HASH_SHIFT) ^ byte as u32) & HASH_MASK;
    let slot = &mut head[*ins_h as usize & (HASH_SIZE - 1)];
    let previous = slot.saturating_sub(stamp) as usize;
    prev[pos & WINDOW_MASK] = previous as u16;
    *slot = stamp + pos as u32;
    previous
}

/// Longest match for the string at `strstart` along the hash chain starting
/// at `cur_match`, returning only lengths longer than `prev_length`
/// (otherwise `prev_length`). Sets `match_start` when it finds one. Like
/// zlib, it may look at bytes past the input (zeros) but never returns more
/// than `lookahead`.
#[inline(always)]
fn longest_match(
    window: &[u8; WINDOW_CAP],
    prev: &[u16; PREV_SIZE],
    strstart: usize,
    cur_match: usize,
    prev_length: usize,
    lookahead: usize,
    match_start: &mut usize,
) -> usize {
    let mut chain_length = MAX_CHAIN;
    let mut best_len = prev_length;
    let nice_match = NICE_MATCH.min(lookahead);
    let limit = strstart.saturating_sub(MAX_DIST);
    if prev_length >= GOOD_MATCH {
        chain_length >>= 2;
    }
    let scan: &[u8; MAX_MATCH + 1] = window_at(window, strstart);
    let scan_start = read_u16(window, strstart, 0);
    // A longer match must have these two bytes at best_len - 1, best_len;
    // `ends` is the window shifted by best_len - 1 so that its index is the
    // candidate position.
    let mut scan_end = read_u16(window, strstart, best_len - 1);
    let mut ends = shifted_window(window, best_len - 1);
    // Positions on the chain are below MAX_INPUT < 2^16.
    let mut cur = cur_match as u16;

    // At most chain_length candidates, the last one included.
    for _ in 0..chain_length {
        // Cheap rejections first. Byte 2 is never compared: equal hashes and
        // equal bytes 0 and 1 imply it is equal too.
        let c = cur as usize;
        if u16::from_le_bytes([ends[c], ends[c + 1]]) == scan_end
            && read_u16(window, c, 0) == scan_start
        {
            let candidate = window_at(window, c);
            let len = 3 + common_prefix(&scan[3..MAX_MATCH], &candidate[3..MAX_MATCH]);
            if len > best_len {
                *match_start = c;
                best_len = len;
                if len >= nice_match {
                    break;
                }
                scan_end = read_u16(window, strstart, best_len - 1);
                ends = shifted_window(window, best_len - 1);
            }
        }
        cur = prev[c];
        if cur as usize <= limit {
            break;
        }
    }
    best_len.min(lookahead)
}

/// window[offset..] as an array that any u16 position (plus one) indexes
/// without a bounds check; `offset` is below MAX_MATCH (masked: a no-op).
#[inline(always)]
fn shifted_window(window: &[u8; WINDOW_CAP], offset: usize) -> &[u8; WINDOW_MASK + 2] {
    let offset = offset & (OFFSET_SLACK - 1);
    window[offset..offset + WINDOW_MASK + 2].try_into().unwrap()
}

/// The two bytes at `pos + offset` (pos below MAX_INPUT, offset below
/// MAX_MATCH) as a little-endian u16, without a bounds check: both are
/// masked (no-ops for valid values) so the index provably fits.
#[inline(always)]
fn read_u16(window: &[u8; WINDOW_CAP], pos: usize, offset: usize) -> u16 {
    let i = (pos & WINDOW_MASK) + (offset & (OFFSET_SLACK - 1));
    u16::from_le_bytes([window[i], window[i + 1]])
}

/// The MAX_MATCH + 1 bytes at `pos` (< MAX_INPUT), without a bounds check.
#[inline(always)]
fn window_at(window: &[u8; WINDOW_CAP], pos: usize) -> &[u8; MAX_MATCH + 1] {
    let start = pos & WINDOW_MASK;
    window[start..start + MAX_MATCH + 1].try_into().unwrap()
}

/// Number of equal leading bytes of two equally long slices.
#[inline(always)]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut i = 0;
    let n = a.len().min(b.len());
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap());
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let diff = x ^ y;
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}
