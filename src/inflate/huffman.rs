//! Canonical Huffman decode tables for inflate.
//!
//! A table is indexed by the next `root_bits` bits of the stream (deflate
//! packs codes starting from their most significant bit, so the index is the
//! bit-reversed code). Every entry is a packed `u32`:
//!
//! | bits   | meaning                                                  |
//! |--------|----------------------------------------------------------|
//! | 0..4   | code length: bits to drop for the code itself            |
//! | 4..8   | extra bits that follow the code (lengths, distances)     |
//! | 8..12  | kind flags, see the constants below                      |
//! | 16..32 | literal byte, length base, distance base or symbol       |
//!
//! Codes longer than `root_bits` get a [`LONG_CODE`] entry in each slot their
//! prefix fills; [`HuffmanTable::lookup`] then decodes them bit by bit.
//! Deflate streams rarely hold such codes and their symbols are by
//! construction rare, so this costs less than building second-level tables.

/// Entry for a literal byte (value in the high half).
pub const LITERAL: u32 = 1 << 8;
/// Entry for the end-of-block symbol 256.
pub const END_OF_BLOCK: u32 = 1 << 9;
/// A code longer than the root bits starts here: decode it the slow way.
pub const LONG_CODE: u32 = 1 << 10;
/// A symbol the format reserves (literal/length 286, 287; distance 30, 31).
pub const INVALID: u32 = 1 << 11;

/// Largest number of index bits a table may use: 1024 entries of 4 bytes.
pub const MAX_ROOT_BITS: u32 = 10;
pub const MAX_CODE_LEN: usize = 15;
const MAX_SYMBOLS: usize = 288;

const fn packed(value: u32, extra_bits: u32, flags: u32) -> u32 {
    (value << 16) | (extra_bits << 4) | flags
}

/// Length symbols 257..=285: base length and extra bits (RFC 1951 3.2.5).
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
    131, 163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance symbols 0..=29: base distance and extra bits.
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// What each literal/length symbol decodes to, without its code length.
pub static LITLEN_SYMBOLS: [u32; 288] = {
    let mut table = [0u32; 288];
    let mut symbol = 0;
    while symbol < 288 {
        table[symbol] = if symbol < 256 {
            packed(symbol as u32, 0, LITERAL)
        } else if symbol == 256 {
            END_OF_BLOCK
        } else if symbol < 286 {
            let i = symbol - 257;
            packed(LENGTH_BASE[i] as u32, LENGTH_EXTRA[i] as u32, 0)
        } else {
            INVALID
        };
        symbol += 1;
    }
    table
};

/// What each distance symbol decodes to, without its code length.
pub static DISTANCE_SYMBOLS: [u32; 32] = {
    let mut table = [INVALID; 32];
    let mut symbol = 0;
    while symbol < 30 {
        table[symbol] = packed(
            DISTANCE_BASE[symbol] as u32,
            DISTANCE_EXTRA[symbol] as u32,
            0,
        );
        symbol += 1;
    }
    table
};

/// Code-length alphabet (0..=18): the symbol itself.
pub static CODE_LENGTH_SYMBOLS: [u32; 19] = {
    let mut table = [0u32; 19];
    let mut symbol = 0;
    while symbol < 19 {
        table[symbol] = packed(symbol as u32, 0, 0);
        symbol += 1;
    }
    table
};

/// The symbols of a code with a non-zero length, in symbol order, and how
/// many codes there are of each length: what [`HuffmanTable::build`] needs.
pub struct UsedSymbols<const N: usize> {
    pub symbols: [u16; N],
    pub lengths: [u8; N],
    pub len: usize,
    pub count_by_length: [u16; MAX_CODE_LEN + 1],
}

impl<const N: usize> UsedSymbols<N> {
    pub const fn new() -> Self {
        UsedSymbols {
            symbols: [0; N],
            lengths: [0; N],
            len: 0,
            count_by_length: [0; MAX_CODE_LEN + 1],
        }
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.count_by_length = [0; MAX_CODE_LEN + 1];
    }

    /// Adds `symbol` with code length `length` (1..=15); symbols must come
    /// in increasing order.
    #[inline(always)]
    pub fn push(&mut self, symbol: u16, length: u8) {
        self.symbols[self.len] = symbol;
        self.lengths[self.len] = length;
        self.len += 1;
        self.count_by_length[length as usize] += 1;
    }

    /// From a code length per symbol (0 = unused).
    pub fn from_lengths(lengths: &[u8]) -> Self {
        let mut used = Self::new();
        for (symbol, &length) in lengths.iter().enumerate() {
            if length != 0 {
                used.push(symbol as u16, length);
            }
        }
        used
    }
}

pub struct HuffmanTable {
    entries: [u32; 1 << MAX_ROOT_BITS],
    mask: u64,
    /// For codes longer than the root bits: how many codes of each length,
    /// and the symbols in canonical order (by length, then symbol).
    count_by_length: [u16; MAX_CODE_LEN + 1],
    sorted_symbols: [u16; MAX_SYMBOLS],
    symbols: &'static [u32],
}

impl HuffmanTable {
    pub const fn new() -> Self {
        HuffmanTable {
            entries: [0; 1 << MAX_ROOT_BITS],
            mask: 0,
            count_by_length: [0; MAX_CODE_LEN + 1],
            sorted_symbols: [0; MAX_SYMBOLS],
            symbols: &[],
        }
    }

    /// Builds the table for the code whose used symbols (in symbol order)
    /// and their lengths are `used`, with at most `max_root_bits` index bits.
    /// `symbols` gives each symbol's entry. Returns None unless the lengths
    /// form a complete prefix code: zlib accepts a few incomplete codes (and
    /// an empty distance code), which are left to it.
    pub fn build<const N: usize>(
        &mut self,
        used: &UsedSymbols<N>,
        symbols: &'static [u32],
        max_root_bits: u32,
    ) -> Option<()> {
        debug_assert!(max_root_bits <= MAX_ROOT_BITS);
        let count = &used.count_by_length;

        // Kraft sum: exactly full, never over.
        let mut unused_codes: i32 = 1;
        let mut max_len = 0;
        for (len, &n) in count.iter().enumerate().skip(1) {
            unused_codes = 2 * unused_codes - n as i32;
            if unused_codes < 0 {
                return None;
            }
            if n != 0 {
                max_len = len;
            }
        }
        if unused_codes != 0 {
            return None;
        }

        // Counting sort of the used symbols by code length.
        let mut next_slot = [0u16; MAX_CODE_LEN + 2];
        for len in 1..=MAX_CODE_LEN {
            next_slot[len + 1] = next_slot[len] + count[len];
        }
        let used_symbols = &used.symbols[..used.len];
        for (&symbol, &len) in used_symbols.iter().zip(&used.lengths[..used.len]) {
            let slot = &mut next_slot[len as usize];
            self.sorted_symbols[*slot as usize] = symbol;
            *slot += 1;
        }
        // next_slot[len] is now where length len + 1 starts, i.e. the end of len.

        let root_bits = (max_len as u32).min(max_root_bits);
        // Grow the table one bit at a time: at width `len` it holds every code
        // of at most `len` bits; doubling it makes the new bit a don't-care for
        // those, then the codes of exactly `len + 1` bits each take one slot.
        // Slots no code fits are prefixes of longer codes.
        self.entries[0] = LONG_CODE;
        let mut code: u32 = 0;
        let mut first_symbol = 0usize;
        for len in 1..=root_bits as usize {
            let half = 1usize << (len - 1);
            let (low, high) = self.entries.split_at_mut(half);
            high[..half].copy_from_slice(low);
            let end = next_slot[len] as usize;
            for &symbol in &self.sorted_symbols[first_symbol..end] {
                let slot = code.reverse_bits() >> (32 - len);
                self.entries[slot as usize] = symbols[symbol as usize] | len as u32;
                code += 1;
            }
            first_symbol = end;
            code <<= 1;
        }
        self.mask = (1u64 << root_bits) - 1;
        self.count_by_length = *count;
        self.symbols = symbols;
        Some(())
    }

    /// The entry for the code at the bottom of `bits` (at least 15 valid bits).
    #[inline(always)]
    pub fn lookup(&self, bits: u64) -> u32 {
        // The second mask is a no-op that lets the compiler drop the bounds check.
        let entry = self.entries[(bits & self.mask) as usize & ((1 << MAX_ROOT_BITS) - 1)];
        if entry & LONG_CODE == 0 {
            entry
        } else {
            self.decode_long(bits)
        }
    }

    /// Canonical decoding one bit at a time, for codes past the root bits.
    #[cold]
    #[inline(never)]
    fn decode_long(&self, bits: u64) -> u32 {
        // `first` is the first code of length `len`, `index` its position in
        // `sorted_symbols`; codes are read most significant bit first.
        let (mut code, mut first, mut index) = (0u32, 0u32, 0u32);
        for len in 1..=MAX_CODE_LEN {
            code |= ((bits >> (len - 1)) & 1) as u32;
            let count = self.count_by_length[len] as u32;
            if code.wrapping_sub(first) < count {
                let symbol = self.sorted_symbols[(index + code - first) as usize];
                return self.symbols[symbol as usize] | len as u32;
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        // Unreachable for the complete codes `build` accepts.
        INVALID
    }
}

/// Code lengths of the fixed Huffman codes (RFC 1951 3.2.6).
pub fn fixed_litlen_lengths() -> [u8; 288] {
    let mut lengths = [8u8; 288];
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    lengths
}
