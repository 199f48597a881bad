//! One blocking Redis connection that comes back by itself: a command that
//! fails on a broken connection drops it, and the next use reconnects,
//! waiting a little longer after each failed attempt (exponential backoff
//! with a cap), so a thread looping over a dead Redis neither spins nor
//! hangs in one call.

use std::time::{Duration, Instant};

use redis::{Client, Connection, ConnectionLike, FromRedisValue};

/// The first pause after a failed connect.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest pause between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A connection to Redis that reconnects with backoff.
pub(crate) struct Link {
    client: Client,
    connection: Option<Connection>,
    connect_timeout: Duration,
    /// How long a reply may take beyond a command's own blocking time.
    reply_timeout: Duration,
    backoff: Duration,
    next_attempt: Instant,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("connected", &self.connection.is_some())
            .finish()
    }
}

impl Link {
    pub(crate) fn new(client: Client, connect_timeout: Duration) -> Link {
        Link {
            client,
            connection: None,
            connect_timeout,
            reply_timeout: connect_timeout.max(Duration::from_secs(1)),
            backoff: FIRST_BACKOFF,
            next_attempt: Instant::now(),
        }
    }

    /// The connection, connecting first if there is none. Waits out the
    /// backoff of an earlier failure before trying again.
    fn connection(&mut self, block: Duration) -> redis::RedisResult<&mut Connection> {
        if self.connection.is_none() {
            let now = Instant::now();
            if now < self.next_attempt {
                std::thread::sleep(self.next_attempt - now);
            }
            match self
                .client
                .get_connection_with_timeout(self.connect_timeout)
            {
                Ok(connection) => {
                    self.backoff = FIRST_BACKOFF;
                    self.connection = Some(connection);
                }
                Err(error) => {
                    self.next_attempt = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    return Err(error);
                }
            }
        }
        let connection = self
            .connection
            .as_mut()
            .ok_or_else(|| redis::RedisError::from(std::io::Error::other("not connected")))?;
        // A blocking read (XREAD BLOCK) may legitimately take `block`;
        // anything past that plus the reply timeout is a dead peer.
        connection.set_read_timeout(Some(block + self.reply_timeout))?;
        connection.set_write_timeout(Some(self.reply_timeout))?;
        Ok(connection)
    }

    /// Runs `command`, which may block in Redis for up to `block`.
    pub(crate) fn query<T: FromRedisValue>(
        &mut self,
        command: &redis::Cmd,
        block: Duration,
    ) -> redis::RedisResult<T> {
        let result = command.query(self.connection(block)?);
        self.settle(result)
    }

    /// Runs a pipeline.
    pub(crate) fn pipeline<T: FromRedisValue>(
        &mut self,
        pipeline: &redis::Pipeline,
    ) -> redis::RedisResult<T> {
        let result = pipeline.query(self.connection(Duration::ZERO)?);
        self.settle(result)
    }

    /// Forgets a connection that failed in a way that leaves it unusable.
    fn settle<T>(&mut self, result: redis::RedisResult<T>) -> redis::RedisResult<T> {
        if let Err(error) = &result {
            let broken = error.is_io_error()
                || error.is_timeout()
                || error.is_connection_dropped()
                || error.is_unrecoverable_error()
                || !self.connection.as_ref().is_some_and(|c| c.is_open());
            if broken {
                self.connection = None;
                self.next_attempt = Instant::now() + self.backoff;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            }
        }
        result
    }
}
