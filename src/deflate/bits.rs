//! LSB-first bit writer for deflate output.
//!
//! zlib keeps a 16-bit buffer and flushes it at odd moments; the bit stream is
//! the same whatever the buffer width, so a 64-bit accumulator is used here.

pub(super) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    count: u32,
}

impl<'a> BitWriter<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            count: 0,
        }
    }

    /// Append the low `len` bits of `value` (len <= 16, value < 2^len).
    #[inline(always)]
    pub(super) fn send(&mut self, value: u32, len: u32) {
        debug_assert!(len <= 16 && (value as u64) < (1u64 << len));
        self.acc |= (value as u64) << self.count;
        self.count += len;
        // count stays below 32 between calls, so 32 + 16 bits always fit.
        if self.count >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.count -= 32;
        }
    }

    /// Pad with zero bits to a byte boundary and write out everything pending.
    pub(super) fn align(&mut self) {
        let bytes = self.count.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
        self.acc = 0;
        self.count = 0;
    }

    /// Raw bytes; only valid right after `align`.
    pub(super) fn write_bytes(&mut self, bytes: &[u8]) {
        debug_assert_eq!(self.count, 0);
        self.out.extend_from_slice(bytes);
    }
}
