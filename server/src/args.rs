//! Command-line arguments.

use crate::prelude::*;

/// A local AWS KMS endpoint for the key-material import flows (in memory, for development and
/// tests).
///
/// Credentials are NOT checked: any SigV4 signature is accepted. Do not expose this server to a
/// network; it is a local tool. State is lost when the process ends.
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
}
