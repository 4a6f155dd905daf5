//! Command-line arguments.

use crate::prelude::*;

/// A local AWS KMS endpoint for the key-material import flows.
///
/// Credentials are NOT checked: any SigV4 signature is accepted. Do not expose this server to a
/// network; it is a local tool. State lives in memory unless --store names a database.
#[derive(Debug, clap::Parser)]
#[command(name = "kms-import-server", version, verbatim_doc_comment)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4599")]
    pub listen: SocketAddr,
    /// Region of the key ARNs.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    /// 12-digit account of the key ARNs.
    #[arg(long, value_name = "ACCOUNT", default_value = "111122223333")]
    pub account: String,
    /// RSA_2048 wrapping keys kept ready (0 to 64).
    #[arg(long = "pool-rsa-2048", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=64))]
    pub pool_rsa_2048: u8,
    /// RSA_3072 wrapping keys kept ready (0 to 64).
    #[arg(long = "pool-rsa-3072", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=64))]
    pub pool_rsa_3072: u8,
    /// RSA_4096 wrapping keys kept ready (0 to 64).
    #[arg(long = "pool-rsa-4096", value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=64))]
    pub pool_rsa_4096: u8,
    /// Where keys live: memory (the default, gone with the process), sqlite:PATH (one file,
    /// created on first start) or postgres://USER@HOST/DB (many instances on one database).
    #[arg(long, value_name = "STORE", default_value = "memory")]
    pub store: crate::store::StoreSpec,
    /// The secrets file (sealing, storage and commitment keys) every instance on a store shares;
    /// required with sqlite: and postgres: stores. Make one with `keys generate --out FILE`.
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<std::path::PathBuf>,
    /// KMS keys per account (AWS's quota: 100,000); past it CreateKey answers LimitExceededException.
    #[arg(long = "max-keys", value_name = "N", default_value_t = 100_000)]
    pub max_keys: u64,
    /// Aliases per KMS key (AWS's quota: 50); past it CreateAlias answers LimitExceededException.
    #[arg(long = "max-aliases-per-key", value_name = "N", default_value_t = 50)]
    pub max_aliases_per_key: u64,
    /// Aliases per account (AWS sets no such quota; this server's bound, LimitExceededException).
    #[arg(long = "max-aliases", value_name = "N", default_value_t = 100_000)]
    pub max_aliases: u64,
    /// Import tokens outstanding per account, neither used nor expired (AWS sets no such quota;
    /// this server's bound: GetParametersForImport answers LimitExceededException past it).
    #[arg(
        long = "max-outstanding-tokens",
        value_name = "N",
        default_value_t = 10_000
    )]
    pub max_outstanding_tokens: u64,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands (without one, the server runs).
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Manage the secrets file.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `keys` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Write a new secrets file (mode 0600; an existing file is never overwritten).
    Generate {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
}
