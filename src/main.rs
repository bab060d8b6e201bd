fn main() -> std::process::ExitCode {
    yearbook::cli::main()
}
