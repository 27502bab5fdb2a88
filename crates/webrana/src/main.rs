//! `webrana`: the one binary of WeBrana Cloud (ARCHITECTURE.md, "Command line").

mod cli;
mod dev;
mod keygen;
mod prepare;
mod serve;
mod simulate;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => dev::run(args).await,
        Command::Serve(args) => serve::serve(args).await,
        Command::Migrate(args) => serve::migrate(args).await,
        Command::Seed(args) => serve::seed(args).await,
        Command::Keygen(args) => keygen::run(args),
        Command::Simulate(args) => simulate::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
