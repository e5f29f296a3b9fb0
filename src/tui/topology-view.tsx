import { Box, Text } from 'ink';
import type { Report } from '../report/report.js';
import { fit } from './layout.js';
import { topologyLines } from './topology-lines.js';

export interface TopologyViewProps {
  report: Report | null;
  scroll: number;
  width: number;
  height: number;
}

export function TopologyView({ report, scroll, width, height }: TopologyViewProps) {
  if (report === null) {
    return (
      <Box height={height}>
        <Text dimColor>{fit('The topology appears when the diagnosis is done.', width)}</Text>
      </Box>
    );
  }
  const lines = topologyLines(report);
  const top = Math.max(0, Math.min(scroll, lines.length - height));
  return (
    <Box flexDirection="column" height={height}>
      {lines.slice(top, top + height).map((l, i) => (
        <Text key={top + i} bold={l.bold === true} {...(l.color ? { color: l.color } : {})}>
          {fit(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}
