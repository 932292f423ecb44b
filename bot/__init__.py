"""briefbot adapters: command line, Discord, scheduler, local shell."""
