#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    yearbook::cli::exit(yearbook::cli::run())
}
