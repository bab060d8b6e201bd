//! The clean-data Parquet of a dataset, joined from one image per workbook.
//!
//! Each workbook's clean rows are encoded once, when it is read, and that image is what the
//! parse cache keeps. A dataset's file is then those images' row groups one after another,
//! in input order: their pages are copied, not encoded again, so a re-run after one workbook
//! changed encodes that workbook's rows only. Only a renamed workbook (still the same cache
//! entry) has its `file` column encoded again.
//!
//! The page-level reader and writer are polars' own (`polars-parquet`), the version polars
//! itself uses, so that pages and statistics are carried over exactly as polars wrote them.

use crate::aggregate::frame::FILE;
use polars::prelude::*;
use polars_buffer::Buffer;
use polars_parquet::arrow::write::FallibleStreamingIterator;
use polars_parquet::parquet::error::{ParquetError, ParquetResult};
use polars_parquet::parquet::metadata::ColumnChunkMetadata;
use polars_parquet::parquet::page::CompressedPage;
use polars_parquet::parquet::read::{get_page_iterator, read_metadata};
use polars_parquet::parquet::write::{
    DynIter, DynStreamingIterator, FileWriter, Version, WriteOptions,
};
use std::io::Cursor;

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
    /// The name the image's `file` column holds; when it differs, that column is encoded again.
    pub written_as: &'a str,
}

/// The dataset's file: the row groups of every part, in order. `empty` (the dataset's frame
/// without rows) gives the file when there are no parts.
pub fn join(parts: &[Part], empty: &DataFrame) -> PolarsResult<Vec<u8>> {
    let Some(first) = parts.first() else {
        return image(empty);
    };
    join_parts(first, parts)
}

fn join_parts(first: &Part, parts: &[Part]) -> PolarsResult<Vec<u8>> {
    let head = read_metadata(&mut Cursor::new(first.image))?;
    let schema = head.schema().clone();
    let file_col = schema
        .fields()
        .iter()
        .position(|f| f.name() == FILE)
        .ok_or_else(|| polars_err!(ComputeError: "clean data: an image without a file column"))?;
    let options = WriteOptions {
        write_statistics: true,
        version: Version::V1,
    };
    let created_by = head.created_by.clone();
    // Room for every image at once: grown page by page, the file was copied as it doubled.
    let room = parts.iter().map(|p| p.image.len()).sum();
    let mut out = FileWriter::new(
        Vec::with_capacity(room),
        schema.clone(),
        options,
        created_by,
    );
    for part in parts {
        let meta = read_metadata(&mut Cursor::new(part.image))?;
        if meta.schema().fields() != schema.fields() {
            polars_bail!(ComputeError: "clean data: workbook images differ in their columns");
        }
        let buffer = Buffer::from(part.image.to_vec());
        for group in &meta.row_groups {
            let rows = group.num_rows();
            let mut file_pages = match part.file == part.written_as {
                true => None,
                false => Some(file_column(part.file, rows)?),
            };
            let mut columns = Vec::with_capacity(schema.columns().len());
            for (i, chunk) in group.parquet_columns().iter().enumerate() {
                let pages: Vec<CompressedPage> = match file_pages.take_if(|_| i == file_col) {
                    Some(pages) => pages,
                    None => chunk_pages(chunk, &buffer)?,
                };
                columns.push(Ok(DynStreamingIterator::new(Pages {
                    pages: pages.into_iter(),
                    current: None,
                })));
            }
            out.write::<ParquetError>(rows as u64, DynIter::new(columns.into_iter()))?;
        }
    }
    out.end(head.key_value_metadata.clone())?;
    Ok(out.into_inner())
}

/// A page read back does not know its row count, which the writer asks for. Clean data has
/// no nested columns, so a page holds as many rows as values.
fn with_rows(mut page: CompressedPage) -> CompressedPage {
    if let CompressedPage::Data(p) = &mut page {
        if p.num_rows.is_none() {
            p.num_rows = Some(p.num_values());
        }
    }
    page
}

/// Pages already compressed, handed to the writer one at a time.
struct Pages {
    pages: std::vec::IntoIter<CompressedPage>,
    current: Option<CompressedPage>,
}

impl FallibleStreamingIterator for Pages {
    type Item = CompressedPage;
    type Error = ParquetError;

    fn advance(&mut self) -> ParquetResult<()> {
        self.current = self.pages.next();
        Ok(())
    }

    fn get(&self) -> Option<&CompressedPage> {
        self.current.as_ref()
    }
}

/// The pages of a `file` column of `rows` rows, all `name`.
fn file_column(name: &str, rows: usize) -> PolarsResult<Vec<CompressedPage>> {
    let column = StringChunked::full(FILE.into(), name, rows).into_column();
    let bytes = image(&DataFrame::new(rows, vec![column])?)?;
    let meta = read_metadata(&mut Cursor::new(bytes.as_slice()))?;
    let buffer = Buffer::from(bytes);
    let mut pages = Vec::new();
    for group in &meta.row_groups {
        for chunk in group.parquet_columns() {
            pages.extend(chunk_pages(chunk, &buffer)?);
        }
    }
    Ok(pages)
}

/// The pages of one column chunk of the Parquet file in `buffer`, as they are stored.
fn chunk_pages(
    chunk: &ColumnChunkMetadata,
    buffer: &Buffer<u8>,
) -> ParquetResult<Vec<CompressedPage>> {
    let reader = get_page_iterator(chunk, Cursor::new(buffer.clone()), Vec::new(), usize::MAX)?;
    reader.map(|p| p.map(with_rows)).collect()
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
        // Statistics carried over: the file's footer knows each group's bounds.
        let meta = read_metadata(&mut Cursor::new(joined.as_slice())).expect("footer");
        assert_eq!(meta.row_groups.len(), 2);
        let n = joined.len();
        let footer_len = u32::from_le_bytes(joined[n - 8..n - 4].try_into().expect("4 bytes"));
        let footer = &joined[n - 8 - footer_len as usize..n - 8];
        let amount = &meta.row_groups[1].parquet_columns()[2];
        assert!(matches!(amount.statistics(footer), Some(Ok(_))));
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
