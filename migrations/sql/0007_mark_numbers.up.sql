-- Trademarks and GI certification/collective marks share the trademark office's numbers:
-- one registration number is one mark, whichever of the three kinds records it.
CREATE UNIQUE INDEX assets_mark_number ON registry.assets (number)
  WHERE kind IN ('trademark', 'gi_certification_mark', 'gi_collective_mark');
