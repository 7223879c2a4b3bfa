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

const EXTRA_LBITS: [u8; LENGTH_CODES] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const EXTRA_DBITS: [u8; D_CODES] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const EXTRA_BLBITS: [u8; BL_CODES] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];
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
    static_lcode: [u16; L_CODES + 2],
    static_llen: [u8; L_CODES + 2],
    static_dcode: [u16; D_CODES],
    static_dlen: [u8; D_CODES],
}

const fn reverse_bits(code: u32, len: u32) -> u32 {
    code.reverse_bits() >> (32 - len)
}

const fn build_tables() -> Tables {
    let mut t = Tables {
        length_code: [0; 256],
        dist_code: [0; 512],
        base_length: [0; LENGTH_CODES],
        base_dist: [0; D_CODES],
        static_lcode: [0; L_CODES + 2],
        static_llen: [0; L_CODES + 2],
        static_dcode: [0; D_CODES],
        static_dlen: [5; D_CODES],
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
        t.static_lcode[n] = reverse_bits(next_code[len], len as u32) as u16;
        next_code[len] += 1;
        n += 1;
    }
    n = 0;
    while n < D_CODES {
        t.static_dcode[n] = reverse_bits(n as u32, 5) as u16;
        n += 1;
    }
    t
}

static TABLES: Tables = build_tables();

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

#[inline(always)]
fn dist_code(dist_minus_one: usize) -> usize {
    if dist_minus_one < 256 {
        TABLES.dist_code[dist_minus_one] as usize
    } else {
        TABLES.dist_code[256 + (dist_minus_one >> 7)] as usize
    }
}

/// One Huffman tree: leaves first, then internal nodes (zlib's ct_data split
/// into parallel arrays; zlib overlays freq/code and dad/len in unions, which
/// is safe there because each is dead by the time the other is written).
struct Tree<const N: usize> {
    freq: [u16; N],
    code: [u16; N],
    dad: [u16; N],
    len: [u16; N],
    max_code: usize,
}

impl<const N: usize> Tree<N> {
    fn new() -> Self {
        Tree {
            freq: [0; N],
            code: [0; N],
            dad: [0; N],
            len: [0; N],
            max_code: 0,
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
    /// heap[1..=heap_len] is the priority queue; heap[heap_max..] holds nodes
    /// in the order they were removed (increasing frequency).
    heap: [u16; HEAP_SIZE],
    heap_len: usize,
    heap_max: usize,
    depth: [u8; HEAP_SIZE],
    bl_count: [u16; MAX_BITS + 1],
    /// Block cost in bits with the dynamic trees / with the static trees.
    /// Wrapping like zlib's unsigned long: build_tree may briefly take them below 0.
    opt_len: u64,
    static_len: u64,
}

/// Symbol tallies for the current block plus everything needed to emit it.
pub(super) struct BlockEncoder {
    /// (distance << 8) | lc, where lc is a literal byte (distance 0) or
    /// match length - 3.
    symbols: Box<[u32]>,
    sym_count: usize,
    ltree: Tree<HEAP_SIZE>,
    dtree: Tree<{ 2 * D_CODES + 1 }>,
    bltree: Tree<{ 2 * BL_CODES + 1 }>,
    scratch: Scratch,
}

impl BlockEncoder {
    pub(super) fn new() -> Self {
        let mut enc = BlockEncoder {
            // One spare slot: the final pending literal is tallied without a
            // fullness check, so a last block can hold SYMBOLS_PER_BLOCK + 1.
            symbols: vec![0u32; SYMBOLS_PER_BLOCK + 1].into_boxed_slice(),
            sym_count: 0,
            ltree: Tree::new(),
            dtree: Tree::new(),
            bltree: Tree::new(),
            scratch: Scratch {
                heap: [0; HEAP_SIZE],
                heap_len: 0,
                heap_max: 0,
                depth: [0; HEAP_SIZE],
                bl_count: [0; MAX_BITS + 1],
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

    /// Record a literal; returns true when the block is full and must be flushed.
    #[inline(always)]
    pub(super) fn tally_literal(&mut self, byte: u8) -> bool {
        self.symbols[self.sym_count] = byte as u32;
        self.sym_count += 1;
        self.ltree.freq[byte as usize] += 1;
        self.sym_count == SYMBOLS_PER_BLOCK
    }

    /// Record a match of `length` (3..=258) at `distance` (1..=32K).
    #[inline(always)]
    pub(super) fn tally_match(&mut self, distance: usize, length: usize) -> bool {
        let lc = length - MIN_MATCH;
        self.symbols[self.sym_count] = ((distance as u32) << 8) | lc as u32;
        self.sym_count += 1;
        self.ltree.freq[TABLES.length_code[lc] as usize + LITERALS + 1] += 1;
        self.dtree.freq[dist_code(distance - 1)] += 1;
        self.sym_count == SYMBOLS_PER_BLOCK
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
            bits.send((STORED_BLOCK << 1) + last as u32, 3);
            bits.align();
            let len = raw.len() as u16;
            bits.write_bytes(&len.to_le_bytes());
            bits.write_bytes(&(!len).to_le_bytes());
            bits.write_bytes(raw);
        } else if static_lenb == opt_lenb {
            #[cfg(test)]
            coverage::hit(&coverage::STATIC);
            bits.send((STATIC_TREES << 1) + last as u32, 3);
            let t = &TABLES;
            compress_symbols(
                bits,
                &self.symbols[..self.sym_count],
                &t.static_lcode,
                &t.static_llen,
                &t.static_dcode,
                &t.static_dlen,
            );
        } else {
            #[cfg(test)]
            coverage::hit(&coverage::DYNAMIC);
            bits.send((DYN_TREES << 1) + last as u32, 3);
            self.send_all_trees(bits, max_blindex + 1);
            let (l, d) = (&self.ltree, &self.dtree);
            compress_symbols(
                bits,
                &self.symbols[..self.sym_count],
                &l.code,
                &l.len,
                &d.code,
                &d.len,
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
        scan_tree(&mut self.bltree.freq, &self.ltree.len, self.ltree.max_code);
        scan_tree(&mut self.bltree.freq, &self.dtree.len, self.dtree.max_code);
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

    fn send_all_trees(&self, bits: &mut BitWriter<'_>, blcodes: usize) {
        let lcodes = self.ltree.max_code + 1;
        let dcodes = self.dtree.max_code + 1;
        bits.send((lcodes - 257) as u32, 5);
        bits.send((dcodes - 1) as u32, 5);
        bits.send((blcodes - 4) as u32, 4);
        for &code in &BL_ORDER[..blcodes] {
            bits.send(self.bltree.len[code] as u32, 3);
        }
        send_tree(bits, &self.bltree, &self.ltree.len, lcodes - 1);
        send_tree(bits, &self.bltree, &self.dtree.len, dcodes - 1);
    }
}

#[inline(always)]
fn compress_symbols(
    bits: &mut BitWriter<'_>,
    symbols: &[u32],
    lcode: &[u16],
    llen: &[impl Copy + Into<u32>],
    dcode: &[u16],
    dlen: &[impl Copy + Into<u32>],
) {
    for &sym in symbols {
        let dist = (sym >> 8) as usize;
        let lc = (sym & 0xff) as usize;
        if dist == 0 {
            bits.send(lcode[lc] as u32, llen[lc].into());
        } else {
            let code = TABLES.length_code[lc] as usize;
            let sym_index = code + LITERALS + 1;
            bits.send(lcode[sym_index] as u32, llen[sym_index].into());
            let extra = EXTRA_LBITS[code] as u32;
            if extra != 0 {
                bits.send((lc - TABLES.base_length[code] as usize) as u32, extra);
            }
            let dist = dist - 1;
            let code = dist_code(dist);
            bits.send(dcode[code] as u32, dlen[code].into());
            let extra = EXTRA_DBITS[code] as u32;
            if extra != 0 {
                bits.send((dist - TABLES.base_dist[code] as usize) as u32, extra);
            }
        }
    }
    bits.send(lcode[END_BLOCK] as u32, llen[END_BLOCK].into());
}

/// zlib's `smaller`: order by frequency, then by subtree depth.
#[inline(always)]
fn smaller(freq: &[u16], depth: &[u8], n: usize, m: usize) -> bool {
    freq[n] < freq[m] || (freq[n] == freq[m] && depth[n] <= depth[m])
}

/// Sift heap[k] down until both children are not smaller.
fn pqdownheap(sc: &mut Scratch, freq: &[u16], mut k: usize) {
    let v = sc.heap[k] as usize;
    let mut j = k << 1;
    while j <= sc.heap_len {
        if j < sc.heap_len
            && smaller(
                freq,
                &sc.depth,
                sc.heap[j + 1] as usize,
                sc.heap[j] as usize,
            )
        {
            j += 1;
        }
        if smaller(freq, &sc.depth, v, sc.heap[j] as usize) {
            break;
        }
        sc.heap[k] = sc.heap[j];
        k = j;
        j <<= 1;
    }
    sc.heap[k] = v as u16;
}

/// Build a Huffman tree from `tree.freq`, setting len, code and max_code and
/// adding the block cost to opt_len/static_len.
fn build_tree<const N: usize>(tree: &mut Tree<N>, kind: &TreeKind, sc: &mut Scratch) {
    let elems = kind.elems;
    let mut max_code: isize = -1;
    sc.heap_len = 0;
    sc.heap_max = HEAP_SIZE;
    for n in 0..elems {
        if tree.freq[n] != 0 {
            sc.heap_len += 1;
            sc.heap[sc.heap_len] = n as u16;
            max_code = n as isize;
            sc.depth[n] = 0;
        } else {
            tree.len[n] = 0;
        }
    }
    // Deflate needs at least two codes (one bit must be sent even for a
    // single symbol), so zlib adds fake symbols 0/1 with frequency 1.
    while sc.heap_len < 2 {
        let node = if max_code < 2 {
            max_code += 1;
            max_code as usize
        } else {
            0
        };
        sc.heap_len += 1;
        sc.heap[sc.heap_len] = node as u16;
        tree.freq[node] = 1;
        sc.depth[node] = 0;
        sc.opt_len = sc.opt_len.wrapping_sub(1);
        if let Some(stree) = kind.static_len {
            sc.static_len = sc.static_len.wrapping_sub(stree[node] as u64);
        }
    }
    let max_code = max_code as usize;
    tree.max_code = max_code;

    for n in (1..=sc.heap_len / 2).rev() {
        pqdownheap(sc, &tree.freq, n);
    }

    // Repeatedly merge the two least frequent nodes.
    let mut node = elems;
    loop {
        let n = sc.heap[1] as usize;
        sc.heap[1] = sc.heap[sc.heap_len];
        sc.heap_len -= 1;
        pqdownheap(sc, &tree.freq, 1);
        let m = sc.heap[1] as usize;

        sc.heap_max -= 1;
        sc.heap[sc.heap_max] = n as u16;
        sc.heap_max -= 1;
        sc.heap[sc.heap_max] = m as u16;

        tree.freq[node] = tree.freq[n].wrapping_add(tree.freq[m]);
        sc.depth[node] = sc.depth[n].max(sc.depth[m]) + 1;
        tree.dad[n] = node as u16;
        tree.dad[m] = node as u16;

        sc.heap[1] = node as u16;
        node += 1;
        pqdownheap(sc, &tree.freq, 1);
        if sc.heap_len < 2 {
            break;
        }
    }
    sc.heap_max -= 1;
    sc.heap[sc.heap_max] = sc.heap[1];

    gen_bitlen(tree, kind, max_code, sc);
    gen_codes(&mut tree.code, &tree.len, max_code, &sc.bl_count);
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
    sc.bl_count = [0; MAX_BITS + 1];
    let mut overflow = 0i32;

    // Parents come before children in heap[heap_max..], so one pass suffices.
    tree.len[sc.heap[sc.heap_max] as usize] = 0;
    for h in sc.heap_max + 1..HEAP_SIZE {
        let n = sc.heap[h] as usize;
        let mut bits = tree.len[tree.dad[n] as usize] as usize + 1;
        if bits > max_length {
            bits = max_length;
            overflow += 1;
        }
        tree.len[n] = bits as u16;
        if n > max_code {
            continue; // internal node
        }
        sc.bl_count[bits] += 1;
        let xbits = if n >= kind.extra_base {
            kind.extra_bits[n - kind.extra_base] as u64
        } else {
            0
        };
        let f = tree.freq[n] as u64;
        sc.opt_len = sc.opt_len.wrapping_add(f * (bits as u64 + xbits));
        if let Some(stree) = kind.static_len {
            sc.static_len = sc.static_len.wrapping_add(f * (stree[n] as u64 + xbits));
        }
    }
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
        while sc.bl_count[bits] == 0 {
            bits -= 1;
        }
        sc.bl_count[bits] -= 1;
        sc.bl_count[bits + 1] += 2;
        sc.bl_count[max_length] -= 1;
        overflow -= 2;
        if overflow <= 0 {
            break;
        }
    }
    // Hand the corrected lengths out again, least frequent leaves longest.
    let mut h = HEAP_SIZE;
    for bits in (1..=max_length).rev() {
        let mut n = sc.bl_count[bits];
        while n != 0 {
            h -= 1;
            let m = sc.heap[h] as usize;
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
fn gen_codes(code_out: &mut [u16], len: &[u16], max_code: usize, bl_count: &[u16; MAX_BITS + 1]) {
    let mut next_code = [0u32; MAX_BITS + 1];
    let mut code = 0u32;
    for bits in 1..=MAX_BITS {
        code = (code + bl_count[bits - 1] as u32) << 1;
        next_code[bits] = code;
    }
    for n in 0..=max_code {
        let l = len[n] as usize;
        if l == 0 {
            continue;
        }
        code_out[n] = reverse_bits(next_code[l], l as u32) as u16;
        next_code[l] += 1;
    }
}

/// Run-length state machine shared by scan_tree and send_tree.
#[derive(Clone, Copy)]
enum LengthRun {
    /// `count` copies of `len` (count < min_count): send them one by one.
    Plain {
        len: usize,
        count: usize,
    },
    /// Repeat the previous nonzero length `count` (3..=6) times; `first` says
    /// whether the length itself must be sent once before.
    Repeat {
        len: usize,
        count: usize,
        first: bool,
    },
    ZerosShort {
        count: usize,
    },
    ZerosLong {
        count: usize,
    },
}

/// Walk the code lengths of `len[0..=max_code]` the way zlib does, calling
/// `emit` for each run.
#[inline(always)]
fn for_each_length_run(len: &[u16], max_code: usize, mut emit: impl FnMut(LengthRun)) {
    let mut prevlen: isize = -1;
    let mut nextlen = len[0] as isize;
    let mut count = 0usize;
    let (mut max_count, mut min_count) = if nextlen == 0 { (138, 3) } else { (7, 4) };
    for n in 0..=max_code {
        let curlen = nextlen;
        // zlib reads a 0xffff guard past max_code so the last run always ends.
        nextlen = if n == max_code {
            -1
        } else {
            len[n + 1] as isize
        };
        count += 1;
        if count < max_count && curlen == nextlen {
            continue;
        } else if count < min_count {
            emit(LengthRun::Plain {
                len: curlen as usize,
                count,
            });
        } else if curlen != 0 {
            emit(LengthRun::Repeat {
                len: curlen as usize,
                count,
                first: curlen != prevlen,
            });
        } else if count <= 10 {
            emit(LengthRun::ZerosShort { count });
        } else {
            emit(LengthRun::ZerosLong { count });
        }
        count = 0;
        prevlen = curlen;
        if nextlen == 0 {
            (max_count, min_count) = (138, 3);
        } else if curlen == nextlen {
            (max_count, min_count) = (6, 3);
        } else {
            (max_count, min_count) = (7, 4);
        }
    }
}

/// Count how often each code-length code will be used (zlib's scan_tree).
fn scan_tree(bl_freq: &mut [u16], len: &[u16], max_code: usize) {
    for_each_length_run(len, max_code, |run| match run {
        LengthRun::Plain { len, count } => bl_freq[len] += count as u16,
        LengthRun::Repeat { len, first, .. } => {
            if first {
                bl_freq[len] += 1;
            }
            bl_freq[REP_3_6] += 1;
        }
        LengthRun::ZerosShort { .. } => bl_freq[REPZ_3_10] += 1,
        LengthRun::ZerosLong { .. } => bl_freq[REPZ_11_138] += 1,
    });
}

/// Send code lengths with the code-length tree (zlib's send_tree).
fn send_tree<const N: usize>(bits: &mut BitWriter<'_>, bl: &Tree<N>, len: &[u16], max_code: usize) {
    let send_code =
        |bits: &mut BitWriter<'_>, c: usize| bits.send(bl.code[c] as u32, bl.len[c] as u32);
    for_each_length_run(len, max_code, |run| match run {
        LengthRun::Plain { len, count } => {
            for _ in 0..count {
                send_code(bits, len);
            }
        }
        LengthRun::Repeat {
            len,
            mut count,
            first,
        } => {
            if first {
                send_code(bits, len);
                count -= 1;
            }
            send_code(bits, REP_3_6);
            bits.send((count - 3) as u32, 2);
        }
        LengthRun::ZerosShort { count } => {
            send_code(bits, REPZ_3_10);
            bits.send((count - 3) as u32, 3);
        }
        LengthRun::ZerosLong { count } => {
            send_code(bits, REPZ_11_138);
            bits.send((count - 11) as u32, 7);
        }
    });
}
