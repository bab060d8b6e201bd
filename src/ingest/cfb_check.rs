//! A structural check of a legacy .xls (OLE compound file) before calamine opens it.
//!
//! calamine follows sector chains without detecting loops: a damaged file whose allocation
//! table makes a chain point back at itself has it append sectors until memory runs out, which
//! aborts the whole batch. Every chain calamine will follow is walked here first, bounded by the
//! number of sectors in the file.

const FREESECT: u32 = 0xFFFF_FFFF;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const MAX_REGULAR: u32 = 0xFFFF_FFFA;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

struct File<'a> {
    bytes: &'a [u8],
    sector: usize,
}

impl File<'_> {
    fn sector(&self, id: u32) -> Result<&[u8], String> {
        let start = (id as usize + 1)
            .checked_mul(self.sector)
            .ok_or("sector number out of range")?;
        self.bytes
            .get(start..start + self.sector)
            .ok_or_else(|| format!("sector {id} lies beyond the end of the file"))
    }

    fn sectors(&self) -> usize {
        self.bytes.len() / self.sector
    }
}

/// Walks a chain in `table` from `start`; an error if it loops or leaves the table.
fn walk(table: &[u32], start: u32, what: &str) -> Result<usize, String> {
    let mut id = start;
    let mut steps = 0usize;
    while id != ENDOFCHAIN && id != FREESECT {
        if id > MAX_REGULAR {
            break;
        }
        steps += 1;
        if steps > table.len() {
            return Err(format!("the {what} chain loops"));
        }
        id = *table
            .get(id as usize)
            .ok_or_else(|| format!("the {what} chain points outside the allocation table"))?;
    }
    Ok(steps)
}

/// Ok when every sector chain of the compound file ends and no cell of the workbook stream
/// lies where calamine would need a huge grid for it; else what is wrong.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let workbook = chains(bytes)?;
    if let Some(stream) = workbook {
        check_cells(&stream)?;
    }
    Ok(())
}

/// A BIFF cell record's (row, first column, last column), for the records calamine reads.
fn cell_position(kind: u16, data: &[u8]) -> Option<(u16, u16, u16)> {
    let row = u16_at(data, 0)?;
    let col = u16_at(data, 2)?;
    match kind {
        // NUMBER, RK, LABELSST, LABEL, BOOLERR, FORMULA, RSTRING
        0x0203 | 0x027E | 0x00FD | 0x0204 | 0x0205 | 0x0006 | 0x00D6 => Some((row, col, col)),
        // MULRK: the last column closes the record.
        0x00BD => {
            let last = u16_at(data, data.len().checked_sub(2)?)?;
            Some((row, col, last))
        }
        _ => None,
    }
}

/// The cell count calamine reserves for a DIMENSIONS record, computed as it does (with u32
/// wrapping, so an inverted range counts as the huge number it becomes there).
fn declared_size(data: &[u8]) -> Option<(u64, u64)> {
    let (rf, rl, mut cf, cl) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)?),
            u32::from(u16_at(data, 2)?),
            u32::from(u16_at(data, 4)?),
            u32::from(u16_at(data, 6)?),
        ),
        14 | 16 => (
            u32_at(data, 0)?,
            u32_at(data, 4)?,
            u32::from(u16_at(data, 8)?),
            u32::from(u16_at(data, 10)?),
        ),
        _ => return None,
    };
    if cf > 0xFF || cl < cf {
        cf = 0;
    }
    if rl >= 1 && cl >= 1 {
        let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1);
        let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1);
        Some((u64::from(rows), u64::from(cols)))
    } else {
        Some((1, 1))
    }
}

/// BIFF8 sheets have at most 256 columns; one cell far out would make calamine allocate the
/// grid up to it (a mutated record asked for 11 GB).
fn check_cells(stream: &[u8]) -> Result<(), String> {
    let mut at = 0usize;
    let (mut rows, mut cols) = (0u64, 0u64);
    let mut sheet = 0usize;
    while at + 4 <= stream.len() {
        let kind = u16_at(stream, at).unwrap_or(0);
        let len = u16_at(stream, at + 2).unwrap_or(0) as usize;
        let data = stream
            .get(at + 4..(at + 4 + len).min(stream.len()))
            .unwrap_or(&[]);
        if kind == 0x0809 {
            sheet += 1;
            rows = 0;
            cols = 0;
        }
        if kind == 0x0200 {
            // DIMENSIONS: calamine reserves room for rows × columns cells up front.
            if let Some((rows, cols)) = declared_size(data) {
                if rows.saturating_mul(cols) > 20_000_000 {
                    return Err(format!(
                        "sheet stream {sheet} declares {rows} rows × {cols} columns"
                    ));
                }
            }
        }
        if let Some((row, first, last)) = cell_position(kind, data) {
            if first > 255 || last > 255 {
                return Err(crate::i18n::t!(
                    "cfb.column",
                    sheet = sheet,
                    v = first.max(last) as u32 + 1
                ));
            }
            rows = rows.max(row as u64 + 1);
            cols = cols.max(last as u64 + 1);
            if rows * cols > 20_000_000 {
                return Err(crate::i18n::t!(
                    "cfb.span",
                    sheet = sheet,
                    rows = rows,
                    cols = cols
                ));
            }
        }
        at += 4 + len;
    }
    Ok(())
}

/// Checks every chain; returns the `Workbook` (or `Book`) stream when it can be read.
fn chains(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let shift = u16_at(bytes, 0x1E).ok_or("truncated header")?;
    if !(7..=16).contains(&shift) {
        return Err(format!("sector size 2^{shift} is not valid"));
    }
    let file = File {
        bytes,
        sector: 1usize << shift,
    };
    let per_sector = file.sector / 4;
    let max = file.sectors() as u32;
    // The FAT sectors: 109 in the header, the rest in the DIFAT chain.
    let mut fat_ids: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(bytes, 0x4C + 4 * i))
        .filter(|&id| id <= MAX_REGULAR)
        .collect();
    let mut difat = u32_at(bytes, 0x44).ok_or("truncated header")?;
    let mut seen = 0u32;
    while difat <= MAX_REGULAR {
        seen += 1;
        if seen > max {
            return Err("the DIFAT chain loops".into());
        }
        let s = file.sector(difat)?;
        fat_ids.extend(
            (0..per_sector - 1)
                .filter_map(|i| u32_at(s, 4 * i))
                .filter(|&id| id <= MAX_REGULAR),
        );
        difat = u32_at(s, 4 * (per_sector - 1)).unwrap_or(ENDOFCHAIN);
    }
    if fat_ids.len() > file.sectors() {
        return Err("more allocation-table sectors than the file holds".into());
    }
    let mut fat = Vec::with_capacity(fat_ids.len() * per_sector);
    for id in fat_ids {
        let s = file.sector(id)?;
        fat.extend((0..per_sector).filter_map(|i| u32_at(s, 4 * i)));
    }
    // Directory entries, each 128 bytes, in the directory chain.
    let dir_start = u32_at(bytes, 0x30).ok_or("truncated header")?;
    walk(&fat, dir_start, "directory")?;
    let mut dirs = Vec::new();
    let mut id = dir_start;
    while id <= MAX_REGULAR {
        dirs.extend_from_slice(file.sector(id)?);
        id = fat[id as usize];
    }
    let cutoff = u32_at(bytes, 0x38).unwrap_or(4096) as u64;
    let mini_start = u32_at(bytes, 0x3C).ok_or("truncated header")?;
    walk(&fat, mini_start, "mini allocation table")?;
    let mut mini_fat = Vec::new();
    let mut id = mini_start;
    while id <= MAX_REGULAR {
        let s = file.sector(id)?;
        mini_fat.extend((0..per_sector).filter_map(|i| u32_at(s, 4 * i)));
        id = fat[id as usize];
    }
    let mut workbook = None;
    for (i, entry) in dirs.chunks_exact(128).enumerate() {
        let kind = entry[0x42];
        let start = u32_at(entry, 0x74).unwrap_or(ENDOFCHAIN);
        let size = u32_at(entry, 0x78).unwrap_or(0) as u64;
        let name_len = (u16_at(entry, 0x40).unwrap_or(0) as usize).min(64);
        let name: Vec<u16> = (0..name_len / 2)
            .filter_map(|k| u16_at(entry, 2 * k))
            .take_while(|&c| c != 0)
            .collect();
        let name = String::from_utf16_lossy(&name);
        if kind == 2 && size >= cutoff && (name == "Workbook" || name == "Book") {
            workbook = Some((start, size));
        }
        match kind {
            // The root entry holds the mini stream, in the regular allocation table.
            5 => {
                walk(&fat, start, "mini stream")?;
            }
            2 if i > 0 && size < cutoff => {
                walk(&mini_fat, start, "stream")?;
            }
            2 => {
                walk(&fat, start, "stream")?;
            }
            _ => {}
        }
    }
    // The workbook stream, when it is in regular sectors (every real one is: it is large).
    let Some((start, size)) = workbook else {
        return Ok(None);
    };
    let mut stream = Vec::new();
    let mut id = start;
    while id <= MAX_REGULAR && (stream.len() as u64) < size {
        stream.extend_from_slice(file.sector(id)?);
        id = *fat
            .get(id as usize)
            .ok_or("the stream chain points outside the table")?;
    }
    stream.truncate(size as usize);
    Ok(Some(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_beyond_column_iv_is_refused() {
        // NUMBER record: row 0, column 300.
        let mut stream = vec![0x09, 0x08, 0, 0];
        stream.extend([0x03, 0x02, 14, 0, 0, 0, 44, 1, 0, 0]);
        stream.extend([0u8; 8]);
        assert!(check_cells(&stream).unwrap_err().contains("column 301"));
        let mut ok = vec![0x09, 0x08, 0, 0];
        ok.extend([0x03, 0x02, 14, 0, 5, 0, 3, 0, 0, 0]);
        ok.extend([0u8; 8]);
        assert_eq!(check_cells(&ok), Ok(()));
    }

    #[test]
    fn loops_are_found() {
        assert_eq!(walk(&[1, 0], 0, "x"), Err("the x chain loops".to_string()));
        assert_eq!(walk(&[1, ENDOFCHAIN], 0, "x"), Ok(2));
        assert!(walk(&[7], 0, "x").is_err());
    }

    #[test]
    fn the_sample_xls_passes_and_a_looped_copy_does_not() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-data/2020/二道区2020年重点项目建设情况.xls"
        );
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        assert_eq!(check(&bytes), Ok(()));
        // Point the first FAT entry of the directory's sector at itself.
        let shift = u16_at(&bytes, 0x1E).unwrap();
        let sector = 1usize << shift;
        let fat0 = u32_at(&bytes, 0x4C).unwrap() as usize;
        let dir = u32_at(&bytes, 0x30).unwrap();
        let mut bad = bytes.clone();
        let at = (fat0 + 1) * sector + 4 * dir as usize;
        bad[at..at + 4].copy_from_slice(&dir.to_le_bytes());
        assert_eq!(check(&bad), Err("the directory chain loops".to_string()));
    }
}
