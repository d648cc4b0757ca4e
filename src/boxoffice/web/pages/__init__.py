"""Server-rendered pages: the storefront, the partner console and the support view (`site`),
the ticket page and its offline wallet (`tickets`), the gate scanner (`gate`) and the
waiting room's queue page (`queue`)."""
