//! A current-thread `main` returning a `Result`, using `?` and `return`.

use std::error::Error;

#[deli::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let n: u32 = std::future::ready("12").await.parse()?;
    if n == 12 {
        return Ok(());
    }
    Err("twelve did not parse as 12")?;
    Ok(())
}
