"""Operations: monitors and the run summary, progress lines, memory, Redis mode,
and ``gazette health``."""
