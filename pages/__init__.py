"""The product's web pages (the phone apps), served by the web process; they import no `server`."""
