//! The five lifecycle states, each observed through `Ticket::state()`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::{eventually, within, Gate, BOUND};
use deli::State;

#[test]
fn new_ready_running_waiting_ready_terminated() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        let gate = Arc::new(Gate::default());
        let (running_tx, running_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let task_gate = gate.clone();
        let (ticket, start) = deli::TaskBuilder::new().name("observed").create_on(
            async move {
                running_tx.send(()).unwrap();
                // Block inside the poll so the test can see Running.
                release_rx.recv().unwrap();
                task_gate.wait().await;
                "done"
            },
            runtime.handle(),
        );
        assert_eq!(ticket.state(), State::New);

        start.start();
        // A current-thread runtime polls only inside block_on: stays Ready.
        assert_eq!(ticket.state(), State::Ready);

        let stop_driving = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                runtime.block_on(async {
                    while !stop_driving.load(Ordering::SeqCst) {
                        deli::sleep(Duration::from_millis(1)).await;
                    }
                })
            });
            running_rx.recv().unwrap();
            assert_eq!(ticket.state(), State::Running);
            release_tx.send(()).unwrap();
            eventually(BOUND, "the task parks on the gate", || {
                ticket.state() == State::Waiting
            });
            stop_driving.store(true, Ordering::SeqCst);
        });
        assert_eq!(ticket.state(), State::Waiting);

        // Woken from this (foreign) thread while nobody drives: Ready.
        gate.open();
        assert_eq!(ticket.state(), State::Ready);

        runtime.block_on(async {
            while !ticket.is_done() {
                deli::yield_now().await;
            }
        });
        assert_eq!(ticket.state(), State::Terminated);
        assert_eq!(ticket.wait_blocking(), Ok("done"));
    });
}

#[test]
fn cancelled_and_panicked_tasks_end_terminated() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let parked = runtime.spawn(std::future::pending::<()>());
        eventually(BOUND, "the task parks", || parked.state() == State::Waiting);
        parked.cancel();
        eventually(BOUND, "the cancel lands", || parked.is_done());
        assert_eq!(parked.state(), State::Terminated);

        let panicked = runtime.spawn(async { panic!("no") });
        eventually(BOUND, "the panic lands", || panicked.is_done());
        assert_eq!(panicked.state(), State::Terminated);
    });
}
