// Viridis from colour stops (colors.h).
#include "colors.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace prism::viz {

namespace {

// matplotlib's viridis sampled at 0, 1/8, ..., 1.
constexpr std::array<QRgb, 9> viridis_stops = {0x440154, 0x472c7a, 0x3b518b, 0x2c718e, 0x21908d,
                                               0x27ad81, 0x5cc863, 0xaadc32, 0xfde725};

}  // namespace

QColor maskedColor() {
    return QColor(238, 238, 238);
}

QCPColorGradient viridisGradient() {
    QCPColorGradient gradient;
    gradient.clearColorStops();
    for (size_t i = 0; i < viridis_stops.size(); ++i) {
        gradient.setColorStopAt(static_cast<double>(i) / (viridis_stops.size() - 1),
                                QColor(viridis_stops[i]));
    }
    gradient.setColorInterpolation(QCPColorGradient::ciRGB);
    gradient.setLevelCount(256);
    gradient.setNanHandling(QCPColorGradient::nhNanColor);
    gradient.setNanColor(maskedColor());
    return gradient;
}

QColor viridisColor(double t) {
    if (std::isnan(t)) return maskedColor();
    const double x = std::clamp(t, 0.0, 1.0) * (viridis_stops.size() - 1);
    const size_t i = std::min(static_cast<size_t>(x), viridis_stops.size() - 2);
    const double f = x - static_cast<double>(i);
    const QColor a(viridis_stops[i]);
    const QColor b(viridis_stops[i + 1]);
    return QColor::fromRgbF(static_cast<float>(a.redF() + f * (b.redF() - a.redF())),
                            static_cast<float>(a.greenF() + f * (b.greenF() - a.greenF())),
                            static_cast<float>(a.blueF() + f * (b.blueF() - a.blueF())));
}

ColorMapPlot setupColorMapPlot(QCustomPlot* plot, double titleScale, int barWidth) {
    ColorMapPlot parts;
    plot->setBackground(Qt::white);
    plot->plotLayout()->insertRow(0);
    QFont titleFont = plot->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * titleScale);
    titleFont.setBold(true);
    parts.title = new QCPTextElement(plot, QString(), titleFont);
    plot->plotLayout()->addElement(0, 0, parts.title);
    parts.map = new QCPColorMap(plot->xAxis, plot->yAxis);
    parts.map->setInterpolate(false);
    parts.map->setTightBoundary(false);
    parts.scale = new QCPColorScale(plot);
    parts.scale->setType(QCPAxis::atRight);
    parts.scale->setBarWidth(barWidth);
    plot->plotLayout()->addElement(1, 1, parts.scale);
    parts.map->setColorScale(parts.scale);
    parts.scale->setGradient(viridisGradient());
    parts.map->setGradient(viridisGradient());
    auto* group = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, group);
    parts.scale->setMarginGroup(QCP::msTop | QCP::msBottom, group);
    return parts;
}

}  // namespace prism::viz
