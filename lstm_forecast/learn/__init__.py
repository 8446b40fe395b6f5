"""Why LSTMs exist, shown not told: the long-memory race, measured gradients, a gate playground.

- memory: a task whose answer depends on an event `lag` steps back; every registered cell races on it.
- gradients: how much the loss at the last step still feels the input k steps back.
- playground: a one-unit LSTM whose gates are set by hand.
"""
