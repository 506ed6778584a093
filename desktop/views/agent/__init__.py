"""The agent's contact-centre views: state control, contact bar, screen pop, chooser, wrap-up.

`attach.attach_agent(window, ctx)` builds them for a signed-in user with the `agent` role."""
