"""Policy packs: each organisation's rules as data, their versions, which one applies, and
the pure due rules that apply a pack to dates."""
