"""Server-rendered pages: the ticket page, the offline wallet, their static files and worker."""
