//! `kms-import-server`: parses the arguments, sets up logging, starts the runtime and runs the
//! server.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use kms_import_server::args::{Args, Command, KeysCommand};

fn main() -> ExitCode {
    let args = <Args as clap::Parser>::parse();
    if let Some(Command::Keys(KeysCommand::Generate { out })) = &args.command {
        return match kms_import_server::generate_secrets_file(out) {
            Ok(()) => {
                println!("wrote {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let log = match kms_import_server::logging::init(&args) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(kms_import_server::run(args));
    runtime.shutdown_timeout(Duration::from_secs(1));
    let dropped = log.dropped_lines();
    drop(log);
    if dropped > 0 {
        eprintln!("{dropped} log lines were dropped because stderr did not keep up");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
