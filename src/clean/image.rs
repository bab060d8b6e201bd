//! The clean-data Parquet of a dataset, joined from one image per workbook.
//!
//! Each workbook's clean rows are encoded once, when it is read, and that image is what the
//! parse cache keeps. A dataset's file is then those images' row groups one after another,
//! in input order. Their bytes are copied whole, not page by page: only the footers are read,
//! their offsets moved to where each image's bytes now start, and written as one footer. A
//! re-run after one workbook changed thus encodes that workbook's rows only. Only a renamed
//! workbook (still the same cache entry) has its image encoded again, for its `file` column.
//!
//! The footer model is the one polars' own Parquet code reads and writes
//! (`polars-parquet-format`), so that statistics and page indexes carry over as polars wrote
//! them.

use crate::clean::frame::FILE;
use polars::prelude::*;
use polars_parquet_format::thrift::protocol::{TCompactInputProtocol, TCompactOutputProtocol};
use polars_parquet_format::{ColumnChunk, FileMetaData, OffsetIndex, RowGroup};
use std::io::Cursor;

const MAGIC: &[u8; 4] = b"PAR1";
/// What decoding one image's footer or page index may allocate: far above what any clean-data
/// image needs, and a bound should a damaged one get this far.
const THRIFT_LIMIT: usize = 256 << 20;

/// The Parquet image of one workbook's rows for one dataset: zstd at its default level, with
/// the default statistics, as the whole file would be written.
pub fn image(frame: &DataFrame) -> PolarsResult<Vec<u8>> {
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .set_parallel(false)
        .finish(&mut frame.clone())?;
    Ok(bytes)
}

/// The image of a frame with rows; None for an empty one (a workbook without rows for the
/// dataset).
pub fn image_of(frame: &DataFrame) -> PolarsResult<Option<Vec<u8>>> {
    (frame.height() > 0).then(|| image(frame)).transpose()
}

/// One workbook's part of a dataset: its image and the name its `file` column shows.
pub struct Part<'a> {
    pub image: &'a [u8],
    pub file: &'a str,
    /// The name the image's `file` column holds; when it differs, the image is encoded again.
    pub written_as: &'a str,
}

/// The dataset's file: the row groups of every part, in order. `empty` (the dataset's frame
/// without rows) gives the file when there are no parts.
pub fn join(parts: &[Part], empty: &DataFrame) -> PolarsResult<Vec<u8>> {
    if parts.is_empty() {
        return image(empty);
    }
    // Renamed parts first, so that every image below is borrowed for the whole join.
    let renamed: Vec<Option<Vec<u8>>> = parts
        .iter()
        .map(|p| (p.file != p.written_as).then(|| renamed(p)).transpose())
        .collect::<PolarsResult<_>>()?;
    let images: Vec<&[u8]> = parts
        .iter()
        .zip(&renamed)
        .map(|(p, r)| r.as_deref().unwrap_or(p.image))
        .collect();
    join_images(&images)
}

/// A part's image with its `file` column holding the part's name.
fn renamed(part: &Part) -> PolarsResult<Vec<u8>> {
    let mut frame = ParquetReader::new(Cursor::new(part.image)).finish()?;
    let rows = frame.height();
    frame.with_column(StringChunked::full(FILE.into(), part.file, rows).into_column())?;
    image(&frame)
}

/// A row group copied into the joined file, and where its page indexes are read from.
struct Group<'a> {
    group: RowGroup,
    source: &'a [u8],
    /// How far the image's bytes moved: added to every offset into them.
    shift: i64,
}

fn join_images(images: &[&[u8]]) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::with_capacity(images.iter().map(|i| i.len()).sum());
    out.extend_from_slice(MAGIC);
    let mut first: Option<FileMetaData> = None;
    let mut groups = Vec::new();
    for &image in images {
        let (meta, footer_at) = footer(image)?;
        if let Some(first) = &first {
            if first.schema != meta.schema {
                polars_bail!(ComputeError: "clean data: workbook images differ in their columns");
            }
        }
        // Pages end where the page indexes (or, without them, the footer) begin.
        let pages_end = meta
            .row_groups
            .iter()
            .flat_map(|g| &g.columns)
            .flat_map(|c| [c.column_index_offset, c.offset_index_offset])
            .flatten()
            .filter_map(|o| usize::try_from(o).ok())
            .fold(footer_at, usize::min);
        let pages = image.get(MAGIC.len()..pages_end).ok_or_else(
            || polars_err!(ComputeError: "clean data: an image's offsets are out of range"),
        )?;
        let shift = out.len() as i64 - MAGIC.len() as i64;
        out.extend_from_slice(pages);
        let mut meta = meta;
        for mut group in std::mem::take(&mut meta.row_groups) {
            move_pages(&mut group, shift);
            groups.push(Group {
                group,
                source: image,
                shift,
            });
        }
        first.get_or_insert(meta);
    }
    let Some(mut meta) = first else {
        polars_bail!(ComputeError: "clean data: nothing to join");
    };
    // Page indexes as polars writes them: every column index, then every offset index.
    for g in &mut groups {
        for column in &mut g.group.columns {
            let (Some(at), Some(len)) = (column.column_index_offset, column.column_index_length)
            else {
                continue;
            };
            column.column_index_offset = Some(out.len() as i64);
            out.extend_from_slice(slice(g.source, at, len)?);
        }
    }
    for g in &mut groups {
        for column in &mut g.group.columns {
            let (Some(at), Some(len)) = (column.offset_index_offset, column.offset_index_length)
            else {
                continue;
            };
            let bytes = slice(g.source, at, len)?;
            let mut index = OffsetIndex::read_from_in_protocol(&mut TCompactInputProtocol::new(
                bytes,
                THRIFT_LIMIT,
            ))
            .map_err(thrift_err)?;
            for page in &mut index.page_locations {
                page.offset += g.shift;
            }
            let at = out.len();
            index
                .write_to_out_protocol(&mut TCompactOutputProtocol::new(&mut out))
                .map_err(thrift_err)?;
            column.offset_index_offset = Some(at as i64);
            column.offset_index_length = Some(i32::try_from(out.len() - at).map_err(
                |_| polars_err!(ComputeError: "clean data: an offset index over 2 GiB"),
            )?);
        }
    }
    meta.num_rows = groups.iter().map(|g| g.group.num_rows).sum();
    meta.row_groups = groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| RowGroup {
            ordinal: i16::try_from(i).ok(),
            ..g.group
        })
        .collect();
    write_footer(&mut out, &meta)?;
    Ok(out)
}

/// Appends a footer, its length and the closing magic to a file's pages.
pub(crate) fn write_footer(out: &mut Vec<u8>, meta: &FileMetaData) -> PolarsResult<()> {
    let at = out.len();
    meta.write_to_out_protocol(&mut TCompactOutputProtocol::new(&mut *out))
        .map_err(thrift_err)?;
    let len = u32::try_from(out.len() - at)
        .map_err(|_| polars_err!(ComputeError: "Parquet: a footer over 4 GiB"))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(MAGIC);
    Ok(())
}

/// An image's footer, and where it starts.
pub(crate) fn footer(image: &[u8]) -> PolarsResult<(FileMetaData, usize)> {
    let bad = || polars_err!(ComputeError: "clean data: an image is not a whole Parquet file");
    let n = image.len();
    if n < 12 || !image.starts_with(MAGIC) || !image.ends_with(MAGIC) {
        return Err(bad());
    }
    let len = u32::from_le_bytes([image[n - 8], image[n - 7], image[n - 6], image[n - 5]]);
    let at = (n - 8)
        .checked_sub(len as usize)
        .filter(|&at| at >= MAGIC.len())
        .ok_or_else(bad)?;
    let meta = FileMetaData::read_from_in_protocol(&mut TCompactInputProtocol::new(
        &image[at..n - 8],
        THRIFT_LIMIT,
    ))
    .map_err(thrift_err)?;
    Ok((meta, at))
}

/// Moves a row group's page offsets by `shift`. Its page indexes are placed later.
fn move_pages(group: &mut RowGroup, shift: i64) {
    group.file_offset = group.file_offset.map(|o| o + shift);
    for column in &mut group.columns {
        move_chunk(column, shift);
    }
}

fn move_chunk(column: &mut ColumnChunk, shift: i64) {
    column.file_offset += shift;
    if let Some(m) = &mut column.meta_data {
        m.data_page_offset += shift;
        m.dictionary_page_offset = m.dictionary_page_offset.map(|o| o + shift);
        m.index_page_offset = m.index_page_offset.map(|o| o + shift);
        // polars writes no bloom filters; one would sit outside the copied pages.
        m.bloom_filter_offset = None;
        m.bloom_filter_length = None;
    }
}

fn slice(source: &[u8], at: i64, len: i32) -> PolarsResult<&[u8]> {
    let at = usize::try_from(at).ok();
    let len = usize::try_from(len).ok();
    at.zip(len)
        .and_then(|(at, len)| source.get(at..at.checked_add(len)?))
        .ok_or_else(|| polars_err!(ComputeError: "clean data: a page index is out of range"))
}

fn thrift_err(e: polars_parquet_format::thrift::Error) -> PolarsError {
    polars_err!(ComputeError: "clean data: a Parquet footer: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(file: &str, from: i64, n: i64) -> DataFrame {
        let rows = n as usize;
        DataFrame::new(
            rows,
            vec![
                Column::new("year".into(), vec![2022i32; rows]),
                Column::new(FILE.into(), vec![file; rows]),
                Column::new(
                    "amount".into(),
                    (from..from + n).map(Some).collect::<Vec<_>>(),
                ),
                Column::new(
                    "kind".into(),
                    (0..n)
                        .map(|i| (i % 3 != 0).then(|| format!("类{}", i % 5)))
                        .collect::<Vec<_>>(),
                ),
            ],
        )
        .expect("frame")
    }

    fn read(bytes: Vec<u8>) -> DataFrame {
        ParquetReader::new(Cursor::new(bytes))
            .finish()
            .expect("readable")
    }

    #[test]
    fn joined_images_read_back_as_the_stacked_frames_with_fresh_file_names() {
        let a = frame("old name.xlsx", 0, 1000);
        let b = frame("b.xlsx", 5000, 37);
        let (ia, ib) = (image(&a).expect("a"), image(&b).expect("b"));
        let parts = [
            Part {
                image: &ia,
                file: "a.xlsx",
                written_as: "old name.xlsx",
            },
            Part {
                image: &ib,
                file: "b.xlsx",
                written_as: "b.xlsx",
            },
        ];
        let joined = join(&parts, &a.clear()).expect("joined");
        let mut want = frame("a.xlsx", 0, 1000);
        want.vstack_mut(&b).expect("stack");
        assert!(read(joined.clone()).equals_missing(&want));
        // Statistics and page indexes carried over, the latter pointing at the moved pages.
        let (meta, _) = footer(&joined).expect("footer");
        assert_eq!(meta.row_groups.len(), 2);
        assert_eq!(meta.num_rows, 1037);
        let amount = &meta.row_groups[1].columns[2];
        assert!(amount
            .meta_data
            .as_ref()
            .and_then(|m| m.statistics.as_ref())
            .is_some());
        let at = amount.offset_index_offset.expect("offset index");
        let len = amount.offset_index_length.expect("its length");
        let index = OffsetIndex::read_from_in_protocol(&mut TCompactInputProtocol::new(
            slice(&joined, at, len).expect("in range"),
            THRIFT_LIMIT,
        ))
        .expect("offset index");
        let data = amount.meta_data.as_ref().expect("metadata");
        assert_eq!(index.page_locations[0].offset, data.data_page_offset);
        // Every page the index lists starts with a header of the size it gives.
        for page in &index.page_locations {
            let at = usize::try_from(page.offset).expect("offset");
            let mut rest = &joined[at..];
            let header = polars_parquet_format::PageHeader::read_from_in_protocol(
                &mut TCompactInputProtocol::new(&mut rest, THRIFT_LIMIT),
            )
            .expect("a page header");
            let header_len = joined.len() - at - rest.len();
            assert_eq!(
                header_len as i32 + header.compressed_page_size,
                page.compressed_page_size
            );
        }
        // The same parts give the same bytes.
        assert_eq!(joined, join(&parts, &a.clear()).expect("again"));
    }

    #[test]
    fn no_parts_give_an_empty_file_with_the_columns() {
        let empty = frame("x", 0, 0);
        let back = read(join(&[], &empty).expect("empty"));
        assert_eq!(back.height(), 0);
        assert_eq!(back.schema(), empty.schema());
    }
}
