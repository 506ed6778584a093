"""The call simulator: a reference phone system (ACD) that posts wire/telephony.py events.

`model` holds the distributions, `roster` the simulated agents' shifts, `engine` the discrete-event
simulation, `clock` simulated versus wall time, `sink` the HTTP poster, `callers` the callers'
numbers, `real_agents` the view of real signed-in desktop agents and `runner` ties them together
(standalone CLI or in-process beside `liaison-server serve --simulate`). docs/simulator.md tells
the whole story.
"""
