"""Where code came from: origins, spans and the sources that report them."""
