//! Sockets on the deli reactor (being written).
