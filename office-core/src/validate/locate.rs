//! Byte offsets to 1-based line and column (columns count characters, not bytes, so a
//! position is right in an editor even after non-ASCII text on the same line).

pub(crate) struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset where each line starts; the first is always 0.
    line_starts: Vec<usize>,
    /// The last offset `locate_forward` located: its line, offset and 0-based column.
    cursor: Option<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        let mut line_starts = vec![0];
        for (offset, byte) in source.bytes().enumerate() {
            if byte == b'\n' {
                line_starts.push(offset + 1);
            }
        }
        LineIndex {
            source,
            line_starts,
            cursor: None,
        }
    }

    /// `locate` for offsets given in increasing order: the column is counted on from the
    /// previous offset when it is on the same line, so locating many offsets of one long
    /// line costs the line once. An offset before the previous one is located afresh.
    pub(crate) fn locate_forward(&mut self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|start| *start <= offset) - 1;
        let (from, col_before) = match self.cursor {
            Some((cursor_line, cursor_offset, cursor_col))
                if cursor_line == line && cursor_offset <= offset =>
            {
                (cursor_offset, cursor_col)
            }
            _ => (self.line_starts[line], 0),
        };
        let col = col_before + self.source[from..offset].chars().count();
        self.cursor = Some((line, offset, col));
        (to_u32(line + 1), to_u32(col + 1))
    }

    /// 1-based (line, column) of a byte offset; offsets past the end map to the end.
    #[cfg(test)]
    pub(crate) fn locate(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|start| *start <= offset) - 1;
        let line_start = self.line_starts[line];
        let col = self.source[line_start..offset].chars().count() + 1;
        (to_u32(line + 1), to_u32(col))
    }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn locates_lines_and_character_columns() {
        let index = LineIndex::new("ab\nçd = 1\n\nx");
        assert_eq!(index.locate(0), (1, 1));
        assert_eq!(index.locate(1), (1, 2));
        assert_eq!(index.locate(3), (2, 1));
        // "ç" is two bytes: "d" is at byte 5 but column 2.
        assert_eq!(index.locate(5), (2, 2));
        assert_eq!(index.locate(11), (3, 1));
        assert_eq!(index.locate(12), (4, 1));
        assert_eq!(index.locate(999), (4, 2));
    }

    #[test]
    fn locating_forward_agrees_with_locating_each() {
        let source = "ab\nçd = çç1\n\nxyz";
        let plain = LineIndex::new(source);
        let mut forward = LineIndex::new(source);
        for offset in [0, 1, 3, 5, 6, 9, 11, 11, 13, 14, 16, 999, 2, 7] {
            assert_eq!(
                forward.locate_forward(offset),
                plain.locate(offset),
                "{offset}"
            );
        }
    }
}
