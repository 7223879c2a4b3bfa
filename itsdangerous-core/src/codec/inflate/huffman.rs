//! Canonical Huffman decode tables for inflate.
//!
//! A table is indexed by the next `root_bits` bits of the stream (deflate
//! packs codes starting from their most significant bit, so the index is the
//! bit-reversed code). Every entry is a packed `u32`:
//!
//! | bits   | meaning                                                  |
//! |--------|----------------------------------------------------------|
//! | 0..4   | code length: bits to drop for the code itself            |
//! | 4..8   | zero, so the entry itself is a shift count for the code  |
//! | 8..12  | extra bits that follow the code (lengths, distances)     |
//! | 12..16 | kind flags, see the constants below                      |
//! | 16..32 | literal byte, length base, distance base or symbol       |
//!
//! Codes longer than `root_bits` get a [`LONG_CODE`] entry in each slot their
//! prefix fills; [`HuffmanTable::lookup`] then decodes them bit by bit.
//! Deflate streams rarely hold such codes and their symbols are by
//! construction rare, so this costs less than building second-level tables.

/// Entry for a literal byte (value in the high half).
pub const LITERAL: u32 = 1 << 12;
/// Entry for the end-of-block symbol 256.
pub const END_OF_BLOCK: u32 = 1 << 13;
/// A code longer than the root bits starts here: decode it the slow way.
pub const LONG_CODE: u32 = 1 << 14;
/// A symbol the format reserves (literal/length 286, 287; distance 30, 31).
pub const INVALID: u32 = 1 << 15;

/// Largest number of index bits a table may use: 1024 entries of 4 bytes.
pub const MAX_ROOT_BITS: u32 = 10;
pub const MAX_CODE_LEN: usize = 15;
const MAX_SYMBOLS: usize = 288;

const fn packed(value: u32, extra_bits: u32, flags: u32) -> u32 {
    (value << 16) | (extra_bits << 8) | flags
}

/// Bits of the code itself.
#[inline(always)]
pub fn code_bits(entry: u32) -> u32 {
    entry & 15
}

/// Bits that follow the code: the length or distance offset from the base.
#[inline(always)]
pub fn extra_bits(entry: u32) -> u32 {
    (entry >> 8) & 15
}

/// Literal byte, length or distance base, or code-length symbol.
#[inline(always)]
pub fn value(entry: u32) -> u32 {
    entry >> 16
}

/// Length symbols 257..=285: base length and extra bits (RFC 1951 3.2.5).
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
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

/// Code-length alphabet (0..=18): the symbol in bits 16..24, and how many
/// lengths it stands for: bits 24..32 plus the extra bits (RFC 1951 3.2.7).
pub static CODE_LENGTH_SYMBOLS: [u32; 19] = {
    let mut table = [0u32; 19];
    let mut symbol = 0;
    while symbol < 19 {
        let (repeat, extra_bits) = match symbol {
            16 => (3, 2),
            17 => (3, 3),
            18 => (11, 7),
            _ => (1, 0),
        };
        table[symbol] = packed(repeat << 8 | symbol as u32, extra_bits, 0);
        symbol += 1;
    }
    table
};

/// A code's lengths as one bit set of symbols per code length, plus the
/// number of codes of each length: built while reading the code lengths,
/// and walked in canonical order (by length, then symbol) without sorting.
/// `WORDS` 64-bit words hold the symbols.
pub struct CodeLengths<const WORDS: usize> {
    symbols_by_length: [[u64; WORDS]; MAX_CODE_LEN + 1],
    count_by_length: [u16; MAX_CODE_LEN + 1],
}

impl<const WORDS: usize> CodeLengths<WORDS> {
    pub const fn new() -> Self {
        CodeLengths {
            symbols_by_length: [[0; WORDS]; MAX_CODE_LEN + 1],
            count_by_length: [0; MAX_CODE_LEN + 1],
        }
    }

    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Gives `symbol` the code length `length` (0..=15); each symbol once.
    /// Length 0 is recorded too (and ignored), which spares a branch.
    #[inline(always)]
    pub fn push(&mut self, symbol: usize, length: u8) {
        self.symbols_by_length[length as usize][symbol / 64] |= 1 << (symbol % 64);
        self.count_by_length[length as usize] += 1;
    }

    pub fn contains(&self, symbol: usize) -> bool {
        self.symbols_by_length[1..]
            .iter()
            .any(|words| words[symbol / 64] & (1 << (symbol % 64)) != 0)
    }

    /// From a code length per symbol (0 = unused).
    pub fn from_lengths(lengths: &[u8]) -> Self {
        let mut code = Self::new();
        for (symbol, &length) in lengths.iter().enumerate() {
            if length != 0 {
                code.push(symbol, length);
            }
        }
        code
    }

    /// Calls `each` with the symbols of code length `length`, in order.
    #[inline(always)]
    fn for_each_symbol(&self, length: usize, mut each: impl FnMut(usize)) {
        for (i, &word) in self.symbols_by_length[length].iter().enumerate() {
            let mut word = word;
            while word != 0 {
                each(i * 64 + word.trailing_zeros() as usize);
                word &= word - 1;
            }
        }
    }
}

pub struct HuffmanTable {
    entries: [u32; 1 << MAX_ROOT_BITS],
    mask: u64,
    /// For codes longer than the root bits: how many codes of each length,
    /// how many are short enough for the table, and the long codes' symbols
    /// in canonical order.
    count_by_length: [u16; MAX_CODE_LEN + 1],
    short_codes: u32,
    long_symbols: [u16; MAX_SYMBOLS],
    symbols: &'static [u32],
}

impl HuffmanTable {
    pub const fn new() -> Self {
        HuffmanTable {
            entries: [0; 1 << MAX_ROOT_BITS],
            mask: 0,
            count_by_length: [0; MAX_CODE_LEN + 1],
            short_codes: 0,
            long_symbols: [0; MAX_SYMBOLS],
            symbols: &[],
        }
    }

    /// Builds the table for `code`, with at most `max_root_bits` index bits.
    /// `symbols` gives each symbol's entry. Returns None unless the lengths
    /// form a complete prefix code: zlib accepts a few incomplete codes (and
    /// an empty distance code), which are left to it.
    pub fn build<const WORDS: usize>(
        &mut self,
        code: &CodeLengths<WORDS>,
        symbols: &'static [u32],
        max_root_bits: u32,
    ) -> Option<()> {
        debug_assert!(max_root_bits <= MAX_ROOT_BITS);
        let count = &code.count_by_length;

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

        let root_bits = (max_len as u32).min(max_root_bits);
        // Grow the table one bit at a time: at width `len` it holds every code
        // of at most `len` bits; doubling it makes the new bit a don't-care for
        // those, then the codes of exactly `len + 1` bits each take one slot.
        // Slots no code fits are prefixes of longer codes.
        // No code is shorter than min_len: start at that width.
        let min_len = (1..=max_len)
            .find(|&len| count[len] != 0)
            .unwrap_or(max_len);
        let start = min_len.min(root_bits as usize);
        self.entries[..1 << start].fill(LONG_CODE);
        let mut next_code: u32 = 0;
        for (len, &n) in count
            .iter()
            .enumerate()
            .take(root_bits as usize + 1)
            .skip(start)
        {
            if len > start {
                let half = 1usize << (len - 1);
                let (low, high) = self.entries.split_at_mut(half);
                high[..half].copy_from_slice(low);
            }
            if n != 0 {
                let entries = &mut self.entries;
                code.for_each_symbol(len, |symbol| {
                    let slot = next_code.reverse_bits() >> (32 - len);
                    entries[slot as usize] = symbols[symbol] | len as u32;
                    next_code += 1;
                });
            }
            next_code <<= 1;
        }
        self.short_codes = 0;
        let mut long_codes = 0;
        for (len, &n) in count.iter().enumerate().take(max_len + 1).skip(1) {
            if len <= root_bits as usize {
                self.short_codes += u32::from(n);
            } else {
                let long_symbols = &mut self.long_symbols;
                code.for_each_symbol(len, |symbol| {
                    long_symbols[long_codes] = symbol as u16;
                    long_codes += 1;
                });
            }
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
        // `first` is the first code of length `len`, `index` its rank among
        // all codes; codes are read most significant bit first. Only codes
        // past the root bits can match here (shorter ones are in the table).
        let (mut code, mut first, mut index) = (0u32, 0u32, 0u32);
        for len in 1..=MAX_CODE_LEN {
            code |= ((bits >> (len - 1)) & 1) as u32;
            let count = self.count_by_length[len] as u32;
            if code.wrapping_sub(first) < count {
                let rank = (index + code - first).wrapping_sub(self.short_codes);
                return match self.long_symbols.get(rank as usize) {
                    Some(&symbol) => self.symbols[symbol as usize] | len as u32,
                    None => INVALID,
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Canonical codes (RFC 1951 3.2.2) for `lengths`.
    fn canonical_codes(lengths: &[u8]) -> Vec<u32> {
        let mut count = [0u32; MAX_CODE_LEN + 1];
        for &len in lengths {
            count[len as usize] += 1;
        }
        count[0] = 0;
        let mut next = [0u32; MAX_CODE_LEN + 1];
        for len in 1..=MAX_CODE_LEN {
            next[len] = (next[len - 1] + count[len - 1]) << 1;
        }
        lengths
            .iter()
            .map(|&len| {
                let code = next[len as usize];
                next[len as usize] += 1;
                code
            })
            .collect()
    }

    fn check_every_code(lengths: &[u8], symbols: &'static [u32]) {
        let codes = canonical_codes(lengths);
        for root in 1..=MAX_ROOT_BITS {
            let mut table = Box::new(HuffmanTable::new());
            table
                .build(&CodeLengths::<5>::from_lengths(lengths), symbols, root)
                .expect("complete code");
            for (symbol, (&len, &code)) in lengths.iter().zip(&codes).enumerate() {
                if len == 0 {
                    continue;
                }
                // The code's bits first (most significant first), then junk.
                let bits = u64::from(code.reverse_bits() >> (32 - len)) | (0x5a5a_5a5a << len);
                let entry = table.lookup(bits);
                assert_eq!(
                    entry,
                    symbols[symbol] | u32::from(len),
                    "symbol {symbol} root {root}"
                );
            }
        }
    }

    #[test]
    fn every_code_decodes_with_any_root_size() {
        // Lengths 1, 2, ..., 15, 15: complete, and past every root size.
        let mut lengths = [0u8; 288];
        let order = [
            200usize, 3, 257, 99, 285, 0, 256, 17, 150, 270, 42, 255, 260, 1, 128, 64,
        ];
        for (i, &symbol) in order.iter().enumerate() {
            lengths[symbol] = (i + 1).min(15) as u8;
        }
        check_every_code(&lengths[..286], &LITLEN_SYMBOLS);
        check_every_code(&fixed_litlen_lengths(), &LITLEN_SYMBOLS);
        // Equal lengths spanning the 64-bit words of the symbol sets:
        // 226 codes of 8 bits and 60 of 9 bits.
        let mut lengths = [8u8; 286];
        for range in [60..70, 120..140, 250..280] {
            lengths[range].fill(9);
        }
        check_every_code(&lengths, &LITLEN_SYMBOLS);
    }

    #[test]
    fn rejects_incomplete_and_oversubscribed_codes() {
        let mut table = Box::new(HuffmanTable::new());
        for lengths in [
            &[1u8][..],
            &[0, 0],
            &[1, 2],
            &[1, 1, 1],
            &[2, 2, 2, 1],
            &[15],
        ] {
            assert!(table
                .build(
                    &CodeLengths::<1>::from_lengths(lengths),
                    &DISTANCE_SYMBOLS,
                    8
                )
                .is_none());
        }
        assert!(table
            .build(
                &CodeLengths::<1>::from_lengths(&[1, 1]),
                &DISTANCE_SYMBOLS,
                8
            )
            .is_some());
    }
}
