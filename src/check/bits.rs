//! Fixed-width bitsets over the writes of one key, stored as rows of `u64` words.
//!
//! Every causal set the checker handles (a write's past, a read's view, the puts acknowledged
//! before a read) is a subset of one key's writes, so a row of `⌈W/64⌉` words represents it and
//! the set operations cost `W/64` word operations. Nothing here knows what a write is.

/// How many words a set over `len` elements needs.
pub(crate) fn words_for(len: usize) -> usize {
    len.div_ceil(64)
}

pub(crate) fn contains(row: &[u64], index: usize) -> bool {
    row.get(index / 64)
        .is_some_and(|word| word & (1 << (index % 64)) != 0)
}

pub(crate) fn insert(row: &mut [u64], index: usize) {
    if let Some(word) = row.get_mut(index / 64) {
        *word |= 1 << (index % 64);
    }
}

/// `target ∪= source`.
pub(crate) fn union_into(target: &mut [u64], source: &[u64]) {
    for (word, other) in target.iter_mut().zip(source) {
        *word |= other;
    }
}

/// Whether `small ⊆ large`.
pub(crate) fn is_subset(small: &[u64], large: &[u64]) -> bool {
    small.iter().zip(large).all(|(a, b)| a & !b == 0)
}

pub(crate) fn count(row: &[u64]) -> usize {
    row.iter().map(|word| word.count_ones() as usize).sum()
}

/// The elements of `row` that are not in `minus`, in increasing order.
pub(crate) fn difference<'a>(row: &'a [u64], minus: &'a [u64]) -> impl Iterator<Item = usize> + 'a {
    row.iter()
        .zip(minus)
        .enumerate()
        .flat_map(|(position, (a, b))| ones_of_word(position, a & !b))
}

/// The elements of both `row` and `other`, in increasing order.
pub(crate) fn intersection<'a>(
    row: &'a [u64],
    other: &'a [u64],
) -> impl Iterator<Item = usize> + 'a {
    row.iter()
        .zip(other)
        .enumerate()
        .flat_map(|(position, (a, b))| ones_of_word(position, a & b))
}

fn ones_of_word(position: usize, mut word: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if word == 0 {
            return None;
        }
        let bit = word.trailing_zeros() as usize;
        word &= word - 1;
        Some(position * 64 + bit)
    })
}

/// `rows` sets of the same width, stored contiguously.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rows {
    words: usize,
    data: Vec<u64>,
}

impl Rows {
    pub(crate) fn new(rows: usize, elements: usize) -> Rows {
        let words = words_for(elements);
        Rows {
            words,
            data: vec![0; rows * words],
        }
    }

    pub(crate) fn words(&self) -> usize {
        self.words
    }

    pub(crate) fn row(&self, index: usize) -> &[u64] {
        &self.data[index * self.words..(index + 1) * self.words]
    }

    pub(crate) fn row_mut(&mut self, index: usize) -> &mut [u64] {
        &mut self.data[index * self.words..(index + 1) * self.words]
    }

    /// Row `target` ∪= row `source`.
    pub(crate) fn union_rows(&mut self, target: usize, source: usize) {
        if target == source {
            return;
        }
        let words = self.words;
        let (low, high) = (target.min(source), target.max(source));
        let (head, tail) = self.data.split_at_mut(high * words);
        let low_row = &mut head[low * words..(low + 1) * words];
        let high_row = &mut tail[..words];
        if target < source {
            union_into(low_row, high_row);
        } else {
            union_into(high_row, low_row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let mut rows = Rows::new(2, 130);
        assert_eq!(rows.words(), 3);
        insert(rows.row_mut(0), 3);
        insert(rows.row_mut(0), 129);
        insert(rows.row_mut(1), 64);
        rows.union_rows(1, 0);
        assert_eq!(
            difference(rows.row(1), &[0; 3]).collect::<Vec<_>>(),
            vec![3, 64, 129]
        );
        assert!(is_subset(rows.row(0), rows.row(1)));
        assert!(!is_subset(rows.row(1), rows.row(0)));
        assert_eq!(
            difference(rows.row(1), rows.row(0)).collect::<Vec<_>>(),
            vec![64]
        );
        assert_eq!(count(rows.row(1)), 3);
        assert!(contains(rows.row(1), 64) && !contains(rows.row(0), 64));
    }
}
