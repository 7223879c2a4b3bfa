//! Huffman side of deflate: symbol tallies, tree construction and block output,
//! following zlib 1.2.13's trees.c decision for decision so the bits match.
//!
//! The tie-breaks that make zlib's trees what they are (heap order by depth,
//! the bit-length overflow repair, forced second codes, run-length coding of
//! the code lengths) are kept exactly; only the storage layout differs.

use super::bits::BitWriter;

const LENGTH_CODES: usize = 29;
const LITERALS: usize = 256;
/// Literal/length codes including END_BLOCK.
const L_CODES: usize = LITERALS + 1 + LENGTH_CODES;
const D_CODES: usize = 30;
const BL_CODES: usize = 19;
/// Leaves plus internal nodes of the largest tree; also the heap size.
const HEAP_SIZE: usize = 2 * L_CODES + 1;
const MAX_BITS: usize = 15;
const MAX_BL_BITS: usize = 7;
const END_BLOCK: usize = 256;
const MIN_MATCH: usize = 3;
const REP_3_6: usize = 16;
const REPZ_3_10: usize = 17;
const REPZ_11_138: usize = 18;

const STORED_BLOCK: u32 = 0;
const STATIC_TREES: u32 = 1;
const DYN_TREES: u32 = 2;

/// Symbols per block: zlib's lit_bufsize (16K for memLevel 8) minus one.
pub(super) const SYMBOLS_PER_BLOCK: usize = (1 << 14) - 1;
/// Symbol buffer size, a power of two so a masked index (a no-op: the count
/// never exceeds SYMBOLS_PER_BLOCK + 1, see BlockEncoder::new) needs no
/// bounds check.
const SYMBOL_SLOTS: usize = SYMBOLS_PER_BLOCK + 1;
const _: () = assert!(SYMBOL_SLOTS.is_power_of_two());

const EXTRA_LBITS: [u8; LENGTH_CODES] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const EXTRA_DBITS: [u8; D_CODES] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const EXTRA_BLBITS: [u8; BL_CODES] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];
/// EXTRA_BLBITS padded to 32 for unchecked (masked) indexing.
const EXTRA_BLBITS_32: [u8; 32] = {
    let mut t = [0; 32];
    let mut i = 0;
    while i < BL_CODES {
        t[i] = EXTRA_BLBITS[i];
        i += 1;
    }
    t
};
/// Order in which code-length code lengths are sent (most likely used first).
const BL_ORDER: [usize; BL_CODES] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Static tables, built at compile time the way tr_static_init builds them.
struct Tables {
    length_code: [u8; 256],
    dist_code: [u8; 512],
    base_length: [u8; LENGTH_CODES],
    base_dist: [u16; D_CODES],
    static_llen: [u8; L_CODES + 2],
    static_dlen: [u8; D_CODES],
    /// Static trees as emission tables: code | (length << 16), see Tree::packed.
    static_lpacked: [u32; LIT_TABLE],
    static_dpacked: [u32; DIST_TABLE],
    /// Per match length - 3: extra bits value | (extra bits << 8) |
    /// (literal/length symbol << 16).
    len_info: [u32; 256],
    /// Extra bits and base distance per distance code, padded to DIST_TABLE.
    extra_dbits: [u8; DIST_TABLE],
    base_dist32: [u16; DIST_TABLE],
}

/// Emission tables are padded to powers of two so that a masked index
/// (a no-op for valid symbols) needs no bounds check.
const LIT_TABLE: usize = 512;
const DIST_TABLE: usize = 32;

const fn reverse_bits(code: u32, len: u32) -> u32 {
    code.reverse_bits() >> (32 - len)
}

/// Bytes bit-reversed: x86 has no bit-reverse instruction, and two lookups
/// are cheaper than u32::reverse_bits' shuffle.
const REV8: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).reverse_bits();
        i += 1;
    }
    t
};

/// reverse_bits for a code of 1..=15 bits.
#[inline(always)]
fn reverse_code(code: u32, len: u32) -> u32 {
    let r = (REV8[(code & 0xff) as usize] as u32) << 8 | REV8[((code >> 8) & 0xff) as usize] as u32;
    r >> (16 - len)
}

const fn build_tables() -> Tables {
    let mut t = Tables {
        length_code: [0; 256],
        dist_code: [0; 512],
        base_length: [0; LENGTH_CODES],
        base_dist: [0; D_CODES],
        static_llen: [0; L_CODES + 2],
        static_dlen: [5; D_CODES],
        static_lpacked: [0; LIT_TABLE],
        static_dpacked: [0; DIST_TABLE],
        len_info: [0; 256],
        extra_dbits: [0; DIST_TABLE],
        base_dist32: [0; DIST_TABLE],
    };
    let mut length = 0usize;
    let mut code = 0usize;
    while code < LENGTH_CODES - 1 {
        t.base_length[code] = length as u8;
        let mut n = 0;
        while n < (1 << EXTRA_LBITS[code]) {
            t.length_code[length] = code as u8;
            length += 1;
            n += 1;
        }
        code += 1;
    }
    // Length 258 has two encodings; zlib picks code 285 (no extra bits).
    t.length_code[255] = code as u8;

    let mut dist = 0usize;
    code = 0;
    while code < 16 {
        t.base_dist[code] = dist as u16;
        let mut n = 0;
        while n < (1 << EXTRA_DBITS[code]) {
            t.dist_code[dist] = code as u8;
            dist += 1;
            n += 1;
        }
        code += 1;
    }
    dist >>= 7; // from here on distances are divided by 128
    while code < D_CODES {
        t.base_dist[code] = (dist << 7) as u16;
        let mut n = 0;
        while n < (1 << (EXTRA_DBITS[code] - 7)) {
            t.dist_code[256 + dist] = code as u8;
            dist += 1;
            n += 1;
        }
        code += 1;
    }

    let mut bl_count = [0u16; MAX_BITS + 1];
    let mut n = 0;
    while n < L_CODES + 2 {
        let len = if n <= 143 {
            8
        } else if n <= 255 {
            9
        } else if n <= 279 {
            7
        } else {
            8
        };
        t.static_llen[n] = len;
        bl_count[len as usize] += 1;
        n += 1;
    }
    // gen_codes over all 288 codes (286/287 included to make it canonical).
    let mut next_code = [0u32; MAX_BITS + 1];
    let mut c = 0u32;
    let mut bits = 1;
    while bits <= MAX_BITS {
        c = (c + bl_count[bits - 1] as u32) << 1;
        next_code[bits] = c;
        bits += 1;
    }
    n = 0;
    while n < L_CODES + 2 {
        let len = t.static_llen[n] as usize;
        t.static_lpacked[n] = reverse_bits(next_code[len], len as u32) | (len as u32) << 16;
        next_code[len] += 1;
        n += 1;
    }
    n = 0;
    while n < D_CODES {
        t.static_dpacked[n] = reverse_bits(n as u32, 5) | 5 << 16;
        t.extra_dbits[n] = EXTRA_DBITS[n];
        t.base_dist32[n] = t.base_dist[n];
        n += 1;
    }
    n = 0;
    while n < 256 {
        let code = t.length_code[n] as usize;
        // Length 258 (code 285) has no extra bits, whatever its base says.
        let extra = if EXTRA_LBITS[code] == 0 {
            0
        } else {
            n as u32 - t.base_length[code] as u32
        };
        t.len_info[n] = extra | (EXTRA_LBITS[code] as u32) << 8 | ((code + LITERALS + 1) as u32) << 16;
        n += 1;
    }
    t
}

static TABLES: Tables = build_tables();

#[inline(always)]
fn dist_code(dist_minus_one: usize) -> usize {
    let index = if dist_minus_one < 256 {
        dist_minus_one
    } else {
        256 + (dist_minus_one >> 7)
    };
    // The mask is a no-op for distances up to 32K.
    TABLES.dist_code[index & 511] as usize
}

/// One Huffman tree: leaves first, then internal nodes (zlib's ct_data split
/// into parallel arrays; zlib overlays freq/code and dad/len in unions, which
/// is safe there because each is dead by the time the other is written).
struct Tree<const N: usize> {
    freq: [u16; N],
    /// For used leaves, after gen_codes: the bit-reversed code | (length << 16).
    packed: [u32; N],
    dad: [u16; N],
    len: [u16; N],
    /// Number of codes of each length, for generating the codes later.
    bl_count: [u16; MAX_BITS + 1],
    max_code: usize,
    /// Leaves with nonzero frequency (fake ones included), ascending;
    /// used[..used_len]. Every other leaf has length 0.
    used: [u16; N],
    used_len: usize,
}

impl<const N: usize> Tree<N> {
    fn new() -> Self {
        Tree {
            freq: [0; N],
            packed: [0; N],
            dad: [0; N],
            len: [0; N],
            bl_count: [0; MAX_BITS + 1],
            max_code: 0,
            used: [0; N],
            used_len: 0,
        }
    }
}

/// What build_tree needs to know about one kind of tree (zlib's static_tree_desc).
struct TreeKind {
    static_len: Option<&'static [u8]>,
    extra_bits: &'static [u8],
    extra_base: usize,
    elems: usize,
    max_length: usize,
}

const LITERAL_KIND: TreeKind = TreeKind {
    static_len: Some(&TABLES.static_llen),
    extra_bits: &EXTRA_LBITS,
    extra_base: LITERALS + 1,
    elems: L_CODES,
    max_length: MAX_BITS,
};
const DISTANCE_KIND: TreeKind = TreeKind {
    static_len: Some(&TABLES.static_dlen),
    extra_bits: &EXTRA_DBITS,
    extra_base: 0,
    elems: D_CODES,
    max_length: MAX_BITS,
};
const BIT_LENGTH_KIND: TreeKind = TreeKind {
    static_len: None,
    extra_bits: &EXTRA_BLBITS,
    extra_base: 0,
    elems: BL_CODES,
    max_length: MAX_BL_BITS,
};

/// Heap and counters shared by the three tree builds.
struct Scratch {
    /// queue[1..=heap_len] is the priority queue. Entries pack zlib's sort
    /// key above the node number: (freq << 24) | (depth << 16) | node, so
    /// zlib's `smaller` (freq, then depth, ties count as smaller) is a
    /// comparison of `entry >> 16`.
    queue: [u64; QUEUE_SLOTS],
    /// order[heap_max..] holds nodes in the order they left the queue
    /// (zlib keeps them in the top of its heap array).
    order: [u16; HEAP_SIZE],
    heap_max: usize,
    /// Block cost in bits with the dynamic trees / with the static trees.
    /// Wrapping like zlib's unsigned long: build_tree may briefly take them below 0.
    opt_len: u64,
    static_len: u64,
}

/// Queue capacity: a power of two above 2 * L_CODES + 1, so indexes masked
/// with QUEUE_SLOTS - 1 (a no-op for valid ones) need no bounds checks.
const QUEUE_SLOTS: usize = 1024;

#[inline(always)]
fn queue_entry(freq: u16, depth: u8, node: usize) -> u64 {
    ((freq as u64) << 24) | ((depth as u64) << 16) | node as u64
}

#[inline(always)]
fn entry_node(entry: u64) -> usize {
    (entry & 0xffff) as usize
}

/// Borrowed tallies of the current block (see BlockEncoder::tally).
pub(super) struct Tally<'a> {
    symbols: &'a mut [u32; SYMBOL_SLOTS],
    lfreq: &'a mut [u16; HEAP_SIZE],
    dfreq: &'a mut [u16; 2 * D_CODES + 1],
    pub(super) count: usize,
}

impl Tally<'_> {
    /// Room for up to `max` literals at once (no more than the block has
    /// left): the next symbol slots and the literal counts. The caller fills
    /// a prefix of the slots, counts those literals and then calls
    /// `add_literals` with how many it wrote.
    #[inline(always)]
    pub(super) fn literal_slots(&mut self, max: usize) -> (&mut [u32], &mut [u16; HEAP_SIZE]) {
        let max = max.min(SYMBOLS_PER_BLOCK - self.count);
        (&mut self.symbols[self.count..self.count + max], &mut *self.lfreq)
    }

    /// Returns true when the block is full.
    #[inline(always)]
    pub(super) fn add_literals(&mut self, written: usize) -> bool {
        self.count += written;
        self.count == SYMBOLS_PER_BLOCK
    }

    /// Record a literal; returns true when the block is full and must be flushed.
    #[inline(always)]
    pub(super) fn literal(&mut self, byte: u8) -> bool {
        self.symbols[self.count & (SYMBOL_SLOTS - 1)] = byte as u32;
        self.count += 1;
        self.lfreq[byte as usize] += 1;
        self.count == SYMBOLS_PER_BLOCK
    }

    /// Record a match of `length` (3..=258) at `distance` (1..=32K).
    #[inline(always)]
    pub(super) fn matched(&mut self, distance: usize, length: usize) -> bool {
        let lc = (length - MIN_MATCH) & 0xff;
        self.symbols[self.count & (SYMBOL_SLOTS - 1)] = ((distance as u32) << 8) | lc as u32;
        self.count += 1;
        // length_code is at most 28 and dist_code at most 29: the masks
        // are no-ops that spare bounds checks.
        self.lfreq[(TABLES.length_code[lc] as usize + LITERALS + 1) & 511] += 1;
        self.dfreq[dist_code(distance - 1) & 31] += 1;
        self.count == SYMBOLS_PER_BLOCK
    }
}

/// Symbol tallies for the current block plus everything needed to emit it.
pub(super) struct BlockEncoder {
    /// (distance << 8) | lc, where lc is a literal byte (distance 0) or
    /// match length - 3.
    symbols: Box<[u32; SYMBOL_SLOTS]>,
    sym_count: usize,
    ltree: Tree<HEAP_SIZE>,
    dtree: Tree<{ 2 * D_CODES + 1 }>,
    bltree: Tree<{ 2 * BL_CODES + 1 }>,
    length_codes: LengthCodes,
    scratch: Scratch,
}

impl BlockEncoder {
    pub(super) fn new() -> Self {
        let mut enc = BlockEncoder {
            // One spare slot: the final pending literal is tallied without a
            // fullness check, so a last block can hold SYMBOLS_PER_BLOCK + 1.
            symbols: vec![0u32; SYMBOL_SLOTS]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!()),
            sym_count: 0,
            ltree: Tree::new(),
            dtree: Tree::new(),
            bltree: Tree::new(),
            length_codes: LengthCodes {
                codes: [[0; 2]; LENGTH_CODE_SLOTS],
                count: 0,
            },
            scratch: Scratch {
                queue: [0; QUEUE_SLOTS],
                order: [0; HEAP_SIZE],
                heap_max: 0,
                opt_len: 0,
                static_len: 0,
            },
        };
        enc.init_block();
        enc
    }

    /// Reset the tallies for a new block (zlib's init_block).
    pub(super) fn init_block(&mut self) {
        self.ltree.freq[..L_CODES].fill(0);
        self.dtree.freq[..D_CODES].fill(0);
        self.bltree.freq[..BL_CODES].fill(0);
        self.ltree.freq[END_BLOCK] = 1;
        self.scratch.opt_len = 0;
        self.scratch.static_len = 0;
        self.sym_count = 0;
    }

    /// The symbol buffer and frequency counts, for the match loop to fill
    /// through plain references and a local count (hand the count back with
    /// `set_symbol_count` before flushing).
    #[inline(always)]
    pub(super) fn tally(&mut self) -> Tally<'_> {
        Tally {
            symbols: &mut self.symbols,
            lfreq: &mut self.ltree.freq,
            dfreq: &mut self.dtree.freq,
            count: self.sym_count,
        }
    }

    #[inline(always)]
    pub(super) fn set_symbol_count(&mut self, count: usize) {
        self.sym_count = count;
    }

    /// Emit the tallied block as stored, static or dynamic, whichever zlib
    /// would pick. `raw` is the input the block covers (always available here
    /// because the whole input stays in the window).
    pub(super) fn flush_block(&mut self, bits: &mut BitWriter<'_>, raw: &[u8], last: bool) {
        let sc = &mut self.scratch;
        build_tree(&mut self.ltree, &LITERAL_KIND, sc);
        build_tree(&mut self.dtree, &DISTANCE_KIND, sc);
        let max_blindex = self.build_bl_tree();

        let sc = &self.scratch;
        let mut opt_lenb = (sc.opt_len.wrapping_add(3 + 7)) >> 3;
        let static_lenb = (sc.static_len.wrapping_add(3 + 7)) >> 3;
        if static_lenb <= opt_lenb {
            opt_lenb = static_lenb;
        }
        let stored_len = raw.len() as u64;
        #[cfg(test)]
        if !last {
            coverage::hit(&coverage::NOT_LAST);
        }
        if stored_len + 4 <= opt_lenb {
            #[cfg(test)]
            coverage::hit(&coverage::STORED);
            bits.send(((STORED_BLOCK << 1) + last as u32) as u64, 3);
            bits.align();
            let len = raw.len() as u16;
            bits.write_bytes(&len.to_le_bytes());
            bits.write_bytes(&(!len).to_le_bytes());
            bits.write_bytes(raw);
        } else if static_lenb == opt_lenb {
            #[cfg(test)]
            coverage::hit(&coverage::STATIC);
            bits.send(((STATIC_TREES << 1) + last as u32) as u64, 3);
            let t = &TABLES;
            compress_symbols(
                bits,
                &self.symbols[..self.sym_count],
                &t.static_lpacked,
                &t.static_dpacked,
            );
        } else {
            #[cfg(test)]
            coverage::hit(&coverage::DYNAMIC);
            bits.send(((DYN_TREES << 1) + last as u32) as u64, 3);
            gen_codes(&mut self.ltree);
            gen_codes(&mut self.dtree);
            self.send_all_trees(bits, max_blindex + 1);
            let (l, d) = (&self.ltree, &self.dtree);
            compress_symbols(
                bits,
                &self.symbols[..self.sym_count],
                l.packed[..LIT_TABLE].try_into().unwrap(),
                d.packed[..DIST_TABLE].try_into().unwrap(),
            );
        }
        self.init_block();
        if last {
            bits.align();
        }
    }

    /// Build the code-length tree and return the index in BL_ORDER of the
    /// last code-length code to send.
    fn build_bl_tree(&mut self) -> usize {
        let (freq, codes) = (&mut self.bltree.freq, &mut self.length_codes);
        codes.count = 0;
        let (l, d) = (&self.ltree, &self.dtree);
        encode_lengths(&l.len, &l.used[..l.used_len], freq, codes);
        encode_lengths(&d.len, &d.used[..d.used_len], freq, codes);
        build_tree(&mut self.bltree, &BIT_LENGTH_KIND, &mut self.scratch);
        // At least 4 code-length codes are always sent.
        let mut max_blindex = BL_CODES - 1;
        while max_blindex >= 3 {
            if self.bltree.len[BL_ORDER[max_blindex]] != 0 {
                break;
            }
            max_blindex -= 1;
        }
        self.scratch.opt_len = self
            .scratch
            .opt_len
            .wrapping_add(3 * (max_blindex as u64 + 1) + 5 + 5 + 4);
        max_blindex
    }

    fn send_all_trees(&mut self, bits: &mut BitWriter<'_>, blcodes: usize) {
        gen_codes(&mut self.bltree);
        let lcodes = self.ltree.max_code + 1;
        let dcodes = self.dtree.max_code + 1;
        let bl = &self.bltree;
        let codes = &self.length_codes;
        let state = {
            let bits = &mut bits.local();
            bits.send(
                (lcodes - 257) as u64 | ((dcodes - 1) as u64) << 5 | ((blcodes - 4) as u64) << 10,
                14,
            );
            for &code in &BL_ORDER[..blcodes] {
                bits.send(bl.len[code] as u64, 3);
            }
            for &[symbol, extra] in &codes.codes[..codes.count] {
                let symbol = symbol as usize & 31;
                let e = bl.packed[symbol];
                let len = e >> 16;
                // Extra bits are 0 below REP_3_6, where `extra` is 0 too.
                bits.send(
                    (e & 0xffff) as u64 | (extra as u64) << len,
                    len + EXTRA_BLBITS_32[symbol] as u32,
                );
            }
            bits.state()
        };
        bits.restore(state);
    }
}

/// Emit the symbols and END_BLOCK with the given trees (code | len << 16
/// per symbol).
#[inline(always)]
fn compress_symbols(
    bits: &mut BitWriter<'_>,
    symbols: &[u32],
    ltab: &[u32; LIT_TABLE],
    dtab: &[u32; DIST_TABLE],
) {
    let t = &TABLES;
    let state = {
        let bits = &mut bits.local();
        for &sym in symbols {
            let dist = sym >> 8;
            let lc = (sym & 0xff) as usize;
            if dist == 0 {
                let e = ltab[lc];
                bits.send((e & 0xffff) as u64, e >> 16);
            } else {
                // Length code and its extra bits in one go, then the same
                // for the distance (each at most 15 + 13 bits).
                let info = t.len_info[lc];
                let e = ltab[(info >> 16) as usize & (LIT_TABLE - 1)];
                let len = e >> 16;
                bits.send(
                    (e & 0xffff) as u64 | ((info & 0xff) as u64) << len,
                    len + ((info >> 8) & 0xff),
                );
                let dist = dist as usize - 1;
                let code = dist_code(dist) & (DIST_TABLE - 1);
                let e = dtab[code];
                let len = e >> 16;
                let extra = dist - t.base_dist32[code] as usize;
                bits.send(
                    (e & 0xffff) as u64 | (extra as u64) << len,
                    len + t.extra_dbits[code] as u32,
                );
            }
        }
        let e = ltab[END_BLOCK];
        bits.send((e & 0xffff) as u64, e >> 16);
        bits.state()
    };
    bits.restore(state);
}

/// Entry that sorts after every real one; kept at queue[heap_len + 1] so
/// the sift needs no check for a missing right child.
const SENTINEL: u64 = u64::MAX;
const NODE_MASK: u64 = 0xffff;

/// key(a) <= key(b) (zlib's `smaller(a, b)`), without shifting the node
/// numbers out: the low 16 bits of `b` are set.
#[inline(always)]
fn key_le(a: u64, b: u64) -> bool {
    // a >> 16 <= b >> 16 exactly when a <= (b | NODE_MASK), whatever a's
    // low bits.
    a <= b | NODE_MASK
}

/// Sift queue[k] down until both children are not smaller (zlib's
/// pqdownheap; on equal keys the parent stays and the right child wins).
/// Needs queue[heap_len + 1] == SENTINEL.
#[inline(always)]
fn pqdownheap(queue: &mut [u64; QUEUE_SLOTS], heap_len: usize, mut k: usize) {
    const MASK: usize = QUEUE_SLOTS - 1;
    let v = queue[k & MASK];
    let mut j = k << 1;
    while j <= heap_len {
        let left = queue[j & MASK];
        // The sentinel never wins, so a missing right child is never taken.
        let right = queue[(j + 1) & MASK];
        let take_right = key_le(right, left);
        let child = if take_right { right } else { left };
        j += take_right as usize;
        if key_le(v, child) {
            break;
        }
        queue[k & MASK] = child;
        k = j;
        j <<= 1;
    }
    queue[k & MASK] = v;
}

/// The same result as `pqdownheap(queue, heap_len, 1)`, computed bottom-up
/// (Floyd): move the smaller children up along the whole path first, then
/// walk back up to where queue[1] belongs. Cheaper when it sinks deep, as
/// the last entry moved to the top by a removal usually does (and, a little
/// less often, a freshly merged node).
///
/// Why it is the same: the children on the path have non-decreasing keys,
/// so those not below v's key form a suffix of the path; pqdownheap stops
/// above the first of them and the walk back up stops right there too.
#[inline(always)]
fn pqdownheap_from_top(queue: &mut [u64; QUEUE_SLOTS], heap_len: usize) {
    const MASK: usize = QUEUE_SLOTS - 1;
    let v = queue[1];
    let mut hole = 1;
    let mut j = 2;
    while j <= heap_len {
        let left = queue[j & MASK];
        let right = queue[(j + 1) & MASK];
        let take_right = key_le(right, left);
        j += take_right as usize;
        queue[hole & MASK] = if take_right { right } else { left };
        hole = j;
        j <<= 1;
    }
    while hole > 1 {
        let parent = queue[(hole >> 1) & MASK];
        if !key_le(v, parent) {
            break;
        }
        queue[hole & MASK] = parent;
        hole >>= 1;
    }
    queue[hole & MASK] = v;
}

/// Build a Huffman tree from `tree.freq`, setting len, bl_count and max_code
/// and adding the block cost to opt_len/static_len. Codes are generated
/// separately (`gen_codes`), only for blocks that use the dynamic trees.
fn build_tree<const N: usize>(tree: &mut Tree<N>, kind: &TreeKind, sc: &mut Scratch) {
    let elems = kind.elems;
    let mut max_code: isize = -1;
    let mut heap_len = 0;
    tree.len[..elems].fill(0);
    // Most of the alphabet is unused in small blocks: skip all-zero chunks.
    // Frequencies past `elems` are always 0 (internal nodes keep theirs in
    // the queue), so the scan can round up to whole chunks, whose fixed
    // size lets the zero test compile to a few wide loads.
    const CHUNK: usize = 8;
    const _: () = assert!(HEAP_SIZE >= 288 && 2 * D_CODES + 1 >= 32 && 2 * BL_CODES + 1 >= 24);
    let padded = elems.next_multiple_of(CHUNK);
    for (base, chunk) in (0..).step_by(CHUNK).zip(tree.freq[..padded].chunks_exact(CHUNK)) {
        if chunk.iter().fold(0, |acc, &f| acc | f) == 0 {
            continue;
        }
        for (n, &f) in (base..).zip(chunk) {
            if f != 0 {
                tree.used[heap_len] = n as u16;
                heap_len += 1;
                sc.queue[heap_len] = queue_entry(f, 0, n);
                max_code = n as isize;
            }
        }
    }
    // Deflate needs at least two codes (one bit must be sent even for a
    // single symbol), so zlib adds fake symbols 0/1 with frequency 1.
    while heap_len < 2 {
        let node = if max_code < 2 {
            max_code += 1;
            max_code as usize
        } else {
            0
        };
        // Keep `used` ascending: node is either above every used leaf or 0.
        if node == 0 {
            tree.used.copy_within(..heap_len, 1);
        }
        tree.used[if node == 0 { 0 } else { heap_len }] = node as u16;
        heap_len += 1;
        sc.queue[heap_len] = queue_entry(1, 0, node);
        tree.freq[node] = 1;
        sc.opt_len = sc.opt_len.wrapping_sub(1);
        if let Some(stree) = kind.static_len {
            sc.static_len = sc.static_len.wrapping_sub(stree[node] as u64);
        }
    }
    let max_code = max_code as usize;
    tree.max_code = max_code;
    tree.used_len = heap_len;
    sc.queue[heap_len + 1] = SENTINEL;

    for n in (1..=heap_len / 2).rev() {
        pqdownheap(&mut sc.queue, heap_len, n);
    }

    // Repeatedly merge the two least frequent nodes.
    let mut heap_max = HEAP_SIZE;
    let mut node = elems;
    loop {
        let least = sc.queue[1];
        sc.queue[1] = sc.queue[heap_len];
        sc.queue[heap_len] = SENTINEL;
        heap_len -= 1;
        pqdownheap_from_top(&mut sc.queue, heap_len);
        let next = sc.queue[1];
        let (n, m) = (entry_node(least), entry_node(next));

        heap_max -= 2;
        sc.order[heap_max + 1] = n as u16;
        sc.order[heap_max] = m as u16;

        let freq = ((least >> 24) as u16).wrapping_add((next >> 24) as u16);
        let depth = ((least >> 16) as u8).max((next >> 16) as u8) + 1;
        tree.dad[n] = node as u16;
        tree.dad[m] = node as u16;

        sc.queue[1] = queue_entry(freq, depth, node);
        node += 1;
        pqdownheap_from_top(&mut sc.queue, heap_len);
        if heap_len < 2 {
            break;
        }
    }
    heap_max -= 1;
    sc.order[heap_max] = entry_node(sc.queue[1]) as u16;
    sc.heap_max = heap_max;

    gen_bitlen(tree, kind, max_code, sc);
}

/// Assign bit lengths from the tree shape, capping them at max_length with
/// zlib's overflow repair, and count the block cost.
fn gen_bitlen<const N: usize>(
    tree: &mut Tree<N>,
    kind: &TreeKind,
    max_code: usize,
    sc: &mut Scratch,
) {
    let max_length = kind.max_length;
    tree.bl_count = [0; MAX_BITS + 1];
    let mut overflow = 0i32;

    // Local sums: through `sc` every leaf would store them back to memory.
    let (mut opt_len, mut static_len) = (sc.opt_len, sc.static_len);
    // Parents come before children in order[heap_max..], so one pass suffices.
    tree.len[sc.order[sc.heap_max] as usize] = 0;
    for h in sc.heap_max + 1..HEAP_SIZE {
        let n = sc.order[h] as usize;
        let mut bits = tree.len[tree.dad[n] as usize] as usize + 1;
        if bits > max_length {
            bits = max_length;
            overflow += 1;
        }
        tree.len[n] = bits as u16;
        if n > max_code {
            continue; // internal node
        }
        tree.bl_count[bits] += 1;
        let xbits = if n >= kind.extra_base {
            kind.extra_bits[n - kind.extra_base] as u64
        } else {
            0
        };
        let f = tree.freq[n] as u64;
        opt_len = opt_len.wrapping_add(f * (bits as u64 + xbits));
        if let Some(stree) = kind.static_len {
            static_len = static_len.wrapping_add(f * (stree[n] as u64 + xbits));
        }
    }
    sc.opt_len = opt_len;
    sc.static_len = static_len;
    if overflow == 0 {
        return;
    }
    #[cfg(test)]
    coverage::hit(if max_length == MAX_BL_BITS {
        &coverage::OVERFLOW_BIT_LENGTH
    } else {
        &coverage::OVERFLOW_LITERAL
    });

    // Move leaves down from the deepest non-full level until the overflowed
    // leaves fit, two at a time.
    loop {
        let mut bits = max_length - 1;
        while tree.bl_count[bits] == 0 {
            bits -= 1;
        }
        tree.bl_count[bits] -= 1;
        tree.bl_count[bits + 1] += 2;
        tree.bl_count[max_length] -= 1;
        overflow -= 2;
        if overflow <= 0 {
            break;
        }
    }
    // Hand the corrected lengths out again, least frequent leaves longest.
    let mut h = HEAP_SIZE;
    for bits in (1..=max_length).rev() {
        let mut n = tree.bl_count[bits];
        while n != 0 {
            h -= 1;
            let m = sc.order[h] as usize;
            if m > max_code {
                continue;
            }
            if tree.len[m] as usize != bits {
                let delta = (bits as u64).wrapping_sub(tree.len[m] as u64);
                sc.opt_len = sc
                    .opt_len
                    .wrapping_add(delta.wrapping_mul(tree.freq[m] as u64));
                tree.len[m] = bits as u16;
            }
            n -= 1;
        }
    }
}

/// Canonical codes from the bit lengths, bit-reversed for LSB-first output.
fn gen_codes<const N: usize>(tree: &mut Tree<N>) {
    let mut next_code = [0u32; MAX_BITS + 1];
    let mut code = 0u32;
    for (next, &count) in next_code[1..].iter_mut().zip(&tree.bl_count[..MAX_BITS]) {
        code = (code + count as u32) << 1;
        *next = code;
    }
    // Unused leaves have length 0 and get no code.
    for &n in &tree.used[..tree.used_len] {
        let n = n as usize;
        let l = (tree.len[n] as usize) & MAX_BITS;
        tree.packed[n] = reverse_code(next_code[l], l as u32) | (l as u32) << 16;
        next_code[l] += 1;
    }
}

/// Capacity of LengthCodes: a power of two above L_CODES + D_CODES.
const LENGTH_CODE_SLOTS: usize = 512;
const _: () = assert!(LENGTH_CODE_SLOTS >= L_CODES + D_CODES && 2 * BL_CODES + 1 > 31);

/// Run-length coded code lengths of both trees: [symbol, extra bits value].
struct LengthCodes {
    codes: [[u8; 2]; LENGTH_CODE_SLOTS],
    count: usize,
}

/// zlib's run-length coding of code lengths (scan_tree/send_tree): append
/// the code-length symbols for `len[0..=max_code]` (max_code being the last
/// entry of `used`, the ascending list of leaves with nonzero length) to
/// `out` as [symbol, extra bits value] and count them in `bl_freq`.
///
/// Derived per maximal run of equal lengths from zlib's state machine:
/// zeros go in chunks of up to 138; a nonzero length opens with a chunk of
/// up to 7 (the length itself, then a repeat of the rest if that is 3 or
/// more) and continues in chunks of up to 6 repeats; chunks too short to
/// repeat are sent as plain lengths. Zero runs are the gaps between used
/// leaves, so only used leaves are visited.
fn encode_lengths(
    len: &[u16],
    used: &[u16],
    bl_freq: &mut [u16; 2 * BL_CODES + 1],
    out: &mut LengthCodes,
) {
    // The count in a local (stored back at the end) so the pushes do not
    // store it to memory each time.
    let mut written = out.count;
    let codes = &mut out.codes;
    let mut push = |symbol: usize, extra: usize| {
        // symbol < BL_CODES; the masks are no-ops that spare bounds checks.
        bl_freq[symbol & 31] += 1;
        // Each symbol covers at least one length, so count stays below
        // L_CODES + D_CODES.
        codes[written & (LENGTH_CODE_SLOTS - 1)] = [symbol as u8, extra as u8];
        written += 1;
    };
    // Next position not yet coded.
    let mut pos = 0usize;
    let mut i = 0;
    while i < used.len() {
        let start = used[i] as usize;
        let mut left = start - pos;
        while left > 0 {
            let count = left.min(138);
            left -= count;
            match count {
                0..=2 => (0..count).for_each(|_| push(0, 0)),
                3..=10 => push(REPZ_3_10, count - 3),
                _ => push(REPZ_11_138, count - 11),
            }
        }
        // The run of this length over adjacent used leaves.
        let value = len[start];
        let mut end = start + 1;
        i += 1;
        while i < used.len() && used[i] as usize == end && len[end] == value {
            end += 1;
            i += 1;
        }
        pos = end;
        let value = value as usize;
        let mut left = end - start;
        let count = left.min(7);
        left -= count;
        if count < 4 {
            (0..count).for_each(|_| push(value, 0));
        } else {
            push(value, 0);
            push(REP_3_6, count - 1 - 3);
        }
        while left > 0 {
            let count = left.min(6);
            left -= count;
            if count < 3 {
                (0..count).for_each(|_| push(value, 0));
            } else {
                push(REP_3_6, count - 3);
            }
        }
    }
    out.count = written;
}

/// Which rarely-taken paths ran, so tests can check their inputs reach them.
#[cfg(test)]
pub(super) mod coverage {
    use std::sync::atomic::{AtomicUsize, Ordering};
    pub static STORED: AtomicUsize = AtomicUsize::new(0);
    pub static STATIC: AtomicUsize = AtomicUsize::new(0);
    pub static DYNAMIC: AtomicUsize = AtomicUsize::new(0);
    pub static NOT_LAST: AtomicUsize = AtomicUsize::new(0);
    pub static OVERFLOW_LITERAL: AtomicUsize = AtomicUsize::new(0);
    pub static OVERFLOW_BIT_LENGTH: AtomicUsize = AtomicUsize::new(0);
    pub fn hit(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
